package org.cil4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecodedCacheTest {
    @TempDir
    Path tmp;

    private Path root;
    private DecodedCache cache;

    @BeforeEach
    void setUp() throws IOException {
        root = ImageFolderLoaderTest.writeFolder(tmp.resolve("ds"), true);
        cache = new DecodedCache(tmp.resolve("cache"));
    }

    private List<Path> cacheFiles() throws IOException {
        if (!Files.isDirectory(cache.dir())) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(cache.dir())) {
            return s.sorted().toList();
        }
    }

    private static void assertSameData(ImageDataset a, ImageDataset b) {
        assertArrayEquals(a.pixels(), b.pixels());
        assertArrayEquals(a.labels(), b.labels());
        assertEquals(a.classNames(), b.classNames());
        assertEquals(a.name(), b.name());
        assertEquals(a.height(), b.height());
    }

    @Test
    void secondLoadComesFromTheCache() throws IOException {
        ImageFolderLoader first = new ImageFolderLoader(4, 4).withCache(cache);
        ImageDataset a = first.load(root, "train");
        assertEquals(6, first.decodedCount());
        List<Path> files = cacheFiles();
        assertEquals(1, files.size(), "one entry and no temporary files: " + files);
        assertTrue(files.get(0).getFileName().toString().startsWith("ds-train-4x4-"));

        ImageFolderLoader second = new ImageFolderLoader(4, 4).withCache(cache);
        ImageDataset b = second.load(root, "train");
        assertEquals(0, second.decodedCount());
        assertSameData(a, b);

        // Splits have separate entries.
        ImageFolderLoader val = new ImageFolderLoader(4, 4).withCache(cache);
        val.load(root, "val");
        assertEquals(3, val.decodedCount());
    }

    @Test
    void anotherSizeOrATouchedFileMakesANewKey() throws IOException {
        new ImageFolderLoader(4, 4).withCache(cache).load(root, "train");

        ImageFolderLoader resized = new ImageFolderLoader(2, 2).withCache(cache);
        resized.load(root, "train");
        assertEquals(6, resized.decodedCount());

        Path f = root.resolve("train/mid/a.png");
        Files.setLastModifiedTime(
                f, FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + 5000));
        ImageFolderLoader touched = new ImageFolderLoader(4, 4).withCache(cache);
        touched.load(root, "train");
        assertEquals(6, touched.decodedCount());
        assertEquals(3, cacheFiles().size());

        ImageFolderLoader again = new ImageFolderLoader(4, 4).withCache(cache);
        again.load(root, "train");
        assertEquals(0, again.decodedCount());
    }

    @Test
    void keyDependsOnEveryInput() {
        List<DecodedCache.SourceFile> files = List.of(new DecodedCache.SourceFile("train/a/x.png", 10, 1));
        List<String> classes = List.of("a");
        String k = DecodedCache.key(root, "train", classes, files, 32, 32);
        assertEquals(k, DecodedCache.key(root, "train", classes, files, 32, 32));
        assertNotEquals(k, DecodedCache.key(tmp.resolve("other"), "train", classes, files, 32, 32));
        assertNotEquals(k, DecodedCache.key(root, "val", classes, files, 32, 32));
        assertNotEquals(k, DecodedCache.key(root, "train", List.of("b"), files, 32, 32));
        assertNotEquals(k, DecodedCache.key(root, "train", classes, files, 32, 16));
        for (DecodedCache.SourceFile g : List.of(
                new DecodedCache.SourceFile("train/a/y.png", 10, 1),
                new DecodedCache.SourceFile("train/a/x.png", 11, 1),
                new DecodedCache.SourceFile("train/a/x.png", 10, 2))) {
            assertNotEquals(k, DecodedCache.key(root, "train", classes, List.of(g), 32, 32));
        }
    }

    @Test
    void tamperedEntryIsDetectedDeletedAndRedecoded() throws IOException {
        ImageDataset a = new ImageFolderLoader(4, 4).withCache(cache).load(root, "train");
        Path entry = cacheFiles().get(0);
        long size = Files.size(entry);
        try (RandomAccessFile raf = new RandomAccessFile(entry.toFile(), "rw")) {
            raf.seek(size - 20); // a pixel byte
            int v = raf.read();
            raf.seek(size - 20);
            raf.write(v ^ 0x01);
        }
        ImageFolderLoader again = new ImageFolderLoader(4, 4).withCache(cache);
        ImageDataset b = again.load(root, "train");
        assertEquals(6, again.decodedCount());
        assertSameData(a, b);
        // The damaged entry was replaced by a good one.
        ImageFolderLoader third = new ImageFolderLoader(4, 4).withCache(cache);
        third.load(root, "train");
        assertEquals(0, third.decodedCount());
    }

    @Test
    void truncatedEntryIsDetected() throws IOException {
        ImageDataset a = new ImageFolderLoader(4, 4).withCache(cache).load(root, "train");
        Path entry = cacheFiles().get(0);
        try (RandomAccessFile raf = new RandomAccessFile(entry.toFile(), "rw")) {
            raf.setLength(raf.length() - 30);
        }
        String key = entry.getFileName().toString().replace(".imgcache", "");
        assertTrue(cache.read(key, "x").isEmpty());
        assertFalse(Files.exists(entry), "the damaged entry is deleted");

        ImageFolderLoader again = new ImageFolderLoader(4, 4).withCache(cache);
        assertSameData(a, again.load(root, "train"));
        assertEquals(6, again.decodedCount());
    }

    @Test
    void garbageEntryIsDetected() throws IOException {
        new ImageFolderLoader(4, 4).withCache(cache).load(root, "train");
        Path entry = cacheFiles().get(0);
        Files.write(entry, new byte[] {1, 2, 3});
        String key = entry.getFileName().toString().replace(".imgcache", "");
        assertTrue(cache.read(key, "x").isEmpty());
        assertFalse(Files.exists(entry));
    }

    @Test
    void unwritableCacheFolderOnlyWarns() throws IOException {
        Path blocker = tmp.resolve("blocker");
        Files.writeString(blocker, "a file where the cache folder should be");
        ImageFolderLoader l = new ImageFolderLoader(4, 4).withCache(new DecodedCache(blocker.resolve("sub")));
        assertEquals(6, l.load(root, "train").size());
    }
}
