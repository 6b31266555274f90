package org.cil4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.cil4j.CilException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CifarLoaderTest {
    @TempDir
    Path tmp;

    private static final List<String> TEN =
            List.of("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck");

    private static void assertMentions(CilException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    /** Batch b holds two records with labels 2b and 2b+1 (mod 10); the test batch labels 9, 0. */
    private Path writeCifar10() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(CifarLoader.CIFAR10_FOLDER));
        for (int b = 1; b <= 5; b++) {
            Files.write(dir.resolve("data_batch_" + b + ".bin"), TestFiles.cifarRecords(new int[][] {
                {(2 * b) % 10}, {(2 * b + 1) % 10}
            }));
        }
        Files.write(dir.resolve("test_batch.bin"), TestFiles.cifarRecords(new int[][] {{9}, {0}}));
        Files.write(
                dir.resolve("batches.meta.txt"), (String.join("\n", TEN) + "\n\n").getBytes(StandardCharsets.UTF_8));
        return dir;
    }

    private Path writeCifar100() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(CifarLoader.CIFAR100_FOLDER));
        Files.write(dir.resolve("train.bin"), TestFiles.cifarRecords(new int[][] {{3, 42}, {19, 99}, {0, 0}}));
        Files.write(dir.resolve("test.bin"), TestFiles.cifarRecords(new int[][] {{1, 7}}));
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            names.add("class" + i);
        }
        Files.write(dir.resolve("fine_label_names.txt"), names);
        return dir;
    }

    @Test
    void cifar10FromTheFolderOrItsParent() throws IOException {
        Path folder = writeCifar10();
        for (Path dir : List.of(folder, tmp)) {
            ImageDataset train = CifarLoader.loadCifar10(dir, "train");
            assertEquals(10, train.size());
            assertEquals(3, train.channels());
            assertEquals(32, train.height());
            assertEquals(32, train.width());
            assertArrayEquals(new int[] {2, 3, 4, 5, 6, 7, 8, 9, 0, 1}, train.labels());
            assertEquals(TEN, train.classNames());
            // Record 1 of batch 1 is image 1: its bytes are (1 + k) mod 256, channel-first.
            byte[] img1 = Arrays.copyOfRange(train.pixels(), 3072, 6144);
            assertEquals((byte) 1, img1[0]);
            assertEquals((byte) (1 + 1024), img1[1024]);
            assertEquals((byte) (1 + 3071), img1[3071]);

            ImageDataset test = CifarLoader.loadCifar10(dir, "test");
            assertArrayEquals(new int[] {9, 0}, test.labels());
            assertEquals("cifar10/test", test.name());
        }
    }

    @Test
    void cifar100UsesFineLabels() throws IOException {
        writeCifar100();
        ImageDataset train = CifarLoader.loadCifar100(tmp, "train");
        assertArrayEquals(new int[] {42, 99, 0}, train.labels());
        assertEquals(100, train.numClasses());
        assertEquals("class42", train.classNames().get(42));
        assertEquals(1, CifarLoader.loadCifar100(tmp, "test").size());
    }

    @Test
    void truncatedFile() throws IOException {
        Path dir = writeCifar10();
        Path f = dir.resolve("data_batch_3.bin");
        byte[] data = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(data, data.length - 100));
        CilException e = assertThrows(CilException.class, () -> CifarLoader.loadCifar10(tmp, "train"));
        assertMentions(e, "data_batch_3.bin", "truncated or corrupt", "3073-byte record");
    }

    @Test
    void truncatedCifar100File() throws IOException {
        Path dir = writeCifar100();
        Path f = dir.resolve("test.bin");
        Files.write(f, Arrays.copyOf(Files.readAllBytes(f), 3000));
        CilException e = assertThrows(CilException.class, () -> CifarLoader.loadCifar100(tmp, "test"));
        assertMentions(e, "test.bin", "truncated or corrupt", "3074-byte record");
    }

    @Test
    void labelOutOfRange() throws IOException {
        Path dir = writeCifar10();
        Files.write(dir.resolve("test_batch.bin"), TestFiles.cifarRecords(new int[][] {{1}, {10}}));
        CilException e = assertThrows(CilException.class, () -> CifarLoader.loadCifar10(dir, "test"));
        assertMentions(e, "test_batch.bin", "label 10 of record 1 is out of range [0, 10)");

        Path dir100 = writeCifar100();
        Files.write(dir100.resolve("test.bin"), TestFiles.cifarRecords(new int[][] {{1, 100}}));
        e = assertThrows(CilException.class, () -> CifarLoader.loadCifar100(dir100, "test"));
        assertMentions(e, "test.bin", "label 100 of record 0");
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        CilException e = assertThrows(CilException.class, () -> CifarLoader.loadCifar10(tmp, "train"));
        assertMentions(
                e,
                tmp.resolve("cifar-10-batches-bin").resolve("data_batch_1.bin").toString(),
                "cil data fetch cifar10");

        Path dir = writeCifar10();
        Files.delete(dir.resolve("data_batch_5.bin"));
        e = assertThrows(CilException.class, () -> CifarLoader.loadCifar10(tmp, "train"));
        assertMentions(e, "data_batch_5.bin");

        Files.delete(dir.resolve("batches.meta.txt"));
        e = assertThrows(CilException.class, () -> CifarLoader.loadCifar10(tmp, "test"));
        assertMentions(e, "batches.meta.txt");
    }
}
