package org.cil4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.cil4j.CilException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderLoaderTest {
    @TempDir
    Path tmp;

    private static void assertMentions(CilException e, String... parts) {
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), () -> "'" + e.getMessage() + "' lacks '" + p + "'");
        }
    }

    /** Class "zeta" (red), "alpha" (green), "mid" (blue); two train and one val image each. */
    static Path writeFolder(Path root, boolean wnids) throws IOException {
        String[] classes = {"zeta", "alpha", "mid"};
        int[] colors = {0xff0000, 0x00ff00, 0x0000ff};
        for (int c = 0; c < 3; c++) {
            // Written out of name order; the second file has a different shade.
            TestFiles.png(root.resolve("train/" + classes[c] + "/b.png"), TestFiles.solid(8, 8, colors[c] & 0x808080));
            TestFiles.png(root.resolve("train/" + classes[c] + "/a.png"), TestFiles.solid(8, 8, colors[c]));
            TestFiles.png(root.resolve("val/" + classes[c] + "/v.png"), TestFiles.solid(8, 8, colors[c]));
        }
        if (wnids) {
            Files.write(root.resolve("wnids.txt"), List.of(classes));
        }
        return root;
    }

    private static int[] rgbAt(ImageDataset d, int i, int y, int x) {
        int plane = d.height() * d.width();
        int base = i * d.imageSize() + y * d.width() + x;
        byte[] p = d.pixels();
        return new int[] {p[base] & 0xff, p[base + plane] & 0xff, p[base + 2 * plane] & 0xff};
    }

    @Test
    void labelsFollowWnidsOrder() throws IOException {
        Path root = writeFolder(tmp.resolve("ds"), true);
        ImageDataset d = new ImageFolderLoader(4, 4).withThreads(2).load(root, "train");
        assertEquals(List.of("zeta", "alpha", "mid"), d.classNames());
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2}, d.labels());
        assertEquals("ds/train", d.name());
        assertEquals(3, d.channels());
        assertEquals(4, d.height());
        // Files sorted by name: a.png (full color) before b.png (half shade).
        assertArrayEquals(new int[] {255, 0, 0}, rgbAt(d, 0, 0, 0));
        assertArrayEquals(new int[] {128, 0, 0}, rgbAt(d, 1, 3, 3));
        assertArrayEquals(new int[] {0, 255, 0}, rgbAt(d, 2, 1, 2));
        assertArrayEquals(new int[] {0, 0, 255}, rgbAt(d, 4, 2, 1));

        ImageDataset v = new ImageFolderLoader(4, 4).load(root, "val");
        assertArrayEquals(new int[] {0, 1, 2}, v.labels());
        assertEquals(
                v.labels().length,
                new ImageFolderLoader(4, 4).load(root, "test").size());
    }

    @Test
    void labelsFollowSortedFolderNamesWithoutWnids() throws IOException {
        Path root = writeFolder(tmp.resolve("ds"), false);
        ImageDataset d = new ImageFolderLoader(8, 8).load(root, "train");
        assertEquals(List.of("alpha", "mid", "zeta"), d.classNames());
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2}, d.labels());
        assertArrayEquals(new int[] {0, 255, 0}, rgbAt(d, 0, 7, 7));
    }

    @Test
    void resultIsDeterministicAcrossThreadCounts() throws IOException {
        Path root = tmp.resolve("many");
        for (int i = 0; i < 150; i++) {
            TestFiles.png(root.resolve("train/c" + (i % 3) + "/img" + i + ".png"), TestFiles.solid(5, 7, i * 0x010203));
        }
        ImageDataset one = new ImageFolderLoader(3, 3).withThreads(1).load(root, "train");
        ImageDataset four = new ImageFolderLoader(3, 3).withThreads(4).load(root, "train");
        assertArrayEquals(one.pixels(), four.pixels());
        assertArrayEquals(one.labels(), four.labels());
    }

    @Test
    void grayPalettedAlphaAndJpegBecomeRgb() throws IOException {
        Path root = tmp.resolve("mixed");
        BufferedImage gray = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_GRAY);
        gray.getRaster().setSample(0, 0, 0, 77);
        gray.getRaster().setSample(1, 0, 0, 200);
        TestFiles.png(root.resolve("train/c/1-gray.png"), gray);

        byte[] r = {10, (byte) 250};
        byte[] g = {20, 5};
        byte[] b = {30, 60};
        BufferedImage pal =
                new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(1, 2, r, g, b));
        pal.getRaster().setSample(2, 1, 0, 1);
        TestFiles.png(root.resolve("train/c/2-palette.png"), pal);

        BufferedImage argb = new BufferedImage(4, 4, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x40112233);
        TestFiles.png(root.resolve("train/c/3-alpha.png"), argb);

        BufferedImage jpg = TestFiles.solid(4, 4, 0x808080);
        assertTrue(
                ImageIO.write(jpg, "jpeg", root.resolve("train/c/4-photo.jpg").toFile()));

        ImageDataset d = new ImageFolderLoader(4, 4).load(root, "train");
        assertEquals(4, d.size());
        // Gray values are repeated, not gamma-converted.
        assertArrayEquals(new int[] {77, 77, 77}, rgbAt(d, 0, 0, 0));
        assertArrayEquals(new int[] {200, 200, 200}, rgbAt(d, 0, 0, 1));
        assertArrayEquals(new int[] {10, 20, 30}, rgbAt(d, 1, 0, 0));
        assertArrayEquals(new int[] {250, 5, 60}, rgbAt(d, 1, 1, 2));
        assertArrayEquals(new int[] {0x11, 0x22, 0x33}, rgbAt(d, 2, 0, 0));
        int[] px = rgbAt(d, 3, 2, 2);
        for (int v : px) {
            assertTrue(Math.abs(v - 128) <= 2, "JPEG gray 128 decoded as " + v);
        }
    }

    @Test
    void resizesLargerImages() throws IOException {
        Path root = tmp.resolve("big");
        BufferedImage img = TestFiles.solid(8, 8, 0x000000);
        for (int y = 0; y < 8; y++) {
            for (int x = 4; x < 8; x++) {
                img.setRGB(x, y, 0xffffff);
            }
        }
        TestFiles.png(root.resolve("train/c/x.png"), img);
        ImageDataset d = new ImageFolderLoader(2, 2).load(root, "train");
        assertArrayEquals(new int[] {0, 0, 0}, rgbAt(d, 0, 0, 0));
        assertArrayEquals(new int[] {255, 255, 255}, rgbAt(d, 0, 1, 1));
    }

    @Test
    void nonImageFileInAClassFolder() throws IOException {
        Path root = writeFolder(tmp.resolve("ds"), true);
        Path txt = root.resolve("train/alpha/notes.txt");
        Files.writeString(txt, "this is not an image");
        CilException e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(root, "train"));
        assertMentions(e, txt.toString(), "cannot decode image");
    }

    @Test
    void hiddenFilesAreSkipped() throws IOException {
        Path root = writeFolder(tmp.resolve("ds"), true);
        Files.writeString(root.resolve("train/alpha/.DS_Store"), "junk");
        assertEquals(6, new ImageFolderLoader(4, 4).load(root, "train").size());
    }

    @Test
    void emptyClassFolder() throws IOException {
        Path root = writeFolder(tmp.resolve("ds"), false);
        Path empty = Files.createDirectories(root.resolve("val/alpha-empty"));
        Files.createDirectories(root.resolve("train/alpha-empty"));
        CilException e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(root, "train"));
        assertMentions(
                e, "empty class folder", root.resolve("train/alpha-empty").toString());
        e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(root, "val"));
        assertMentions(e, empty.toString());
    }

    @Test
    void valClassMissingFromWnidsOrTrain() throws IOException {
        Path root = writeFolder(tmp.resolve("ds"), true);
        TestFiles.png(root.resolve("val/stranger/s.png"), TestFiles.solid(2, 2, 0));
        CilException e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(root, "val"));
        assertMentions(e, root.resolve("val/stranger").toString(), "wnids.txt");

        Files.delete(root.resolve("wnids.txt"));
        e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(root, "val"));
        assertMentions(e, root.resolve("val/stranger").toString(), "missing from " + root.resolve("train"));
    }

    @Test
    void wnidsEntryWithoutAFolder() throws IOException {
        Path root = writeFolder(tmp.resolve("ds"), false);
        Files.write(root.resolve("wnids.txt"), List.of("zeta", "alpha", "mid", "ghost"));
        CilException e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(root, "train"));
        assertMentions(e, root.resolve("train/ghost").toString(), "wnids.txt");
    }

    @Test
    void duplicateWnid() throws IOException {
        Path root = writeFolder(tmp.resolve("ds"), false);
        Files.write(root.resolve("wnids.txt"), List.of("zeta", "alpha", "zeta", "mid"));
        CilException e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(root, "train"));
        assertMentions(e, "wnids.txt, line 3", "already listed on line 1");
    }

    @Test
    void missingRootOrSplit() throws IOException {
        Path nowhere = tmp.resolve("nowhere");
        CilException e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(nowhere, "train"));
        assertMentions(e, nowhere.toString());

        Path root = writeFolder(tmp.resolve("ds"), true);
        deleteTree(root.resolve("val"));
        e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(root, "val"));
        assertMentions(e, root.resolve("val").toString());

        e = assertThrows(CilException.class, () -> new ImageFolderLoader(4, 4).load(root, "dev"));
        assertMentions(e, "dev");
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
