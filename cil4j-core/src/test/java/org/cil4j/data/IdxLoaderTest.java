package org.cil4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.cil4j.CilException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IdxLoaderTest {
    @TempDir
    Path tmp;

    private static void assertMentions(CilException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void loadsRawAndGzippedFiles(boolean gz) throws IOException {
        TestFiles.writeIdxSplit(tmp, gz);
        ImageDataset d = IdxLoader.loadSplit(tmp, "train");
        assertEquals(3, d.size());
        assertEquals(1, d.channels());
        assertEquals(4, d.height());
        assertEquals(5, d.width());
        assertArrayEquals(new int[] {0, 9, 3}, d.labels());
        byte[] expected = Arrays.copyOfRange(TestFiles.idxImages(3, 4, 5), 16, 16 + 60);
        assertArrayEquals(expected, d.pixels());
        assertEquals(IdxLoader.digitNames(), d.classNames());

        ImageDataset t = IdxLoader.loadSplit(tmp, "test");
        assertEquals(2, t.size());
        assertArrayEquals(new int[] {1, 2}, t.labels());
        assertTrue(IdxLoader.hasStandardFiles(tmp));
    }

    @Test
    void detectsGzipByMagicBytesNotByName() throws IOException {
        Path img = tmp.resolve("images.idx");
        Path lab = tmp.resolve("labels.idx");
        Files.write(img, TestFiles.gzip(TestFiles.idxImages(2, 3, 3)));
        Files.write(lab, TestFiles.idxLabels(1, 0));
        ImageDataset d = IdxLoader.load(img, lab, "x", List.of("a", "b"));
        assertEquals(2, d.size());
        assertArrayEquals(new int[] {1, 0}, d.labels());
    }

    @Test
    void missingSplitFileNamesThePathLookedFor() throws IOException {
        TestFiles.writeIdxSplit(tmp, false);
        Files.delete(tmp.resolve("t10k-labels-idx1-ubyte"));
        CilException e = assertThrows(CilException.class, () -> IdxLoader.loadSplit(tmp, "test"));
        assertMentions(e, tmp.resolve("t10k-labels-idx1-ubyte").toString(), "t10k-labels-idx1-ubyte.gz");
        assertFalse(IdxLoader.hasStandardFiles(tmp));
    }

    @Test
    void truncatedRawImageFile() throws IOException {
        Path img = tmp.resolve("train-images-idx3-ubyte");
        byte[] full = TestFiles.idxImages(3, 4, 5);
        Files.write(img, Arrays.copyOf(full, full.length - 7));
        Path lab = tmp.resolve("train-labels-idx1-ubyte");
        Files.write(lab, TestFiles.idxLabels(0, 1, 2));
        CilException e = assertThrows(CilException.class, () -> IdxLoader.load(img, lab, "x", IdxLoader.digitNames()));
        assertMentions(e, "train-images-idx3-ubyte", "truncated: expected 76 bytes, found 69");
    }

    @Test
    void truncatedRawLabelFile() throws IOException {
        Path img = tmp.resolve("i");
        Path lab = tmp.resolve("train-labels-idx1-ubyte");
        Files.write(img, TestFiles.idxImages(3, 4, 5));
        Files.write(lab, Arrays.copyOf(TestFiles.idxLabels(0, 1, 2), 10));
        CilException e = assertThrows(CilException.class, () -> IdxLoader.load(img, lab, "x", IdxLoader.digitNames()));
        assertMentions(e, "train-labels-idx1-ubyte", "truncated: expected 11 bytes, found 10");
    }

    @Test
    void gzipOfTruncatedContent() throws IOException {
        Path img = tmp.resolve("train-images-idx3-ubyte.gz");
        byte[] full = TestFiles.idxImages(3, 4, 5);
        Files.write(img, TestFiles.gzip(Arrays.copyOf(full, 40)));
        Path lab = tmp.resolve("l");
        Files.write(lab, TestFiles.idxLabels(0, 1, 2));
        CilException e = assertThrows(CilException.class, () -> IdxLoader.load(img, lab, "x", IdxLoader.digitNames()));
        assertMentions(e, "train-images-idx3-ubyte.gz", "truncated: expected 76 bytes, found 40");
    }

    @Test
    void gzipStreamCutShort() throws IOException {
        Path img = tmp.resolve("train-images-idx3-ubyte.gz");
        byte[] big = TestFiles.idxImages(200, 28, 28);
        byte[] gz = TestFiles.gzip(big);
        Files.write(img, Arrays.copyOf(gz, gz.length / 2));
        Path lab = tmp.resolve("l");
        Files.write(lab, TestFiles.idxLabels(new int[200]));
        CilException e = assertThrows(CilException.class, () -> IdxLoader.load(img, lab, "x", IdxLoader.digitNames()));
        assertMentions(e, "train-images-idx3-ubyte.gz", "truncated: expected " + big.length + " bytes, found ");
    }

    @Test
    void wrongMagicNumber() throws IOException {
        TestFiles.writeIdxSplit(tmp, false);
        // Swap images and labels: each has the other's magic number.
        Path img = tmp.resolve("train-images-idx3-ubyte");
        Path lab = tmp.resolve("train-labels-idx1-ubyte");
        CilException e = assertThrows(CilException.class, () -> IdxLoader.load(lab, img, "x", IdxLoader.digitNames()));
        assertMentions(e, "train-labels-idx1-ubyte", "magic number 0x00000801, expected 0x00000803");

        Path junk = tmp.resolve("junk.bin");
        Files.write(junk, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17});
        e = assertThrows(CilException.class, () -> IdxLoader.load(junk, lab, "x", IdxLoader.digitNames()));
        assertMentions(e, "junk.bin", "not an IDX image file");
    }

    @Test
    void labelOutOfRange() throws IOException {
        TestFiles.writeIdxSplit(tmp, true);
        CilException e = assertThrows(
                CilException.class, () -> IdxLoader.loadSplit(tmp, "train", "x", List.of("a", "b", "c", "d")));
        assertMentions(e, "train-labels-idx1-ubyte.gz", "label 9 of sample 1 is out of range [0, 4)");
    }

    @Test
    void countsMustAgree() throws IOException {
        Path img = tmp.resolve("imgs");
        Path lab = tmp.resolve("labs");
        Files.write(img, TestFiles.idxImages(3, 2, 2));
        Files.write(lab, TestFiles.idxLabels(0, 1));
        CilException e = assertThrows(CilException.class, () -> IdxLoader.load(img, lab, "x", IdxLoader.digitNames()));
        assertMentions(e, "labs", "2 labels", "3 images");
    }

    @Test
    void trailingBytesAreReported() throws IOException {
        Path img = tmp.resolve("imgs");
        Path lab = tmp.resolve("labs");
        Files.write(img, Arrays.copyOf(TestFiles.idxImages(1, 2, 2), 25));
        Files.write(lab, TestFiles.idxLabels(0));
        CilException e = assertThrows(CilException.class, () -> IdxLoader.load(img, lab, "x", IdxLoader.digitNames()));
        assertMentions(e, "imgs", "expected 20 bytes, found 25");
    }
}
