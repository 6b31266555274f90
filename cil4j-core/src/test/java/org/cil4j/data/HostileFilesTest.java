package org.cil4j.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.cil4j.CilException;
import org.cil4j.checkpoint.CheckpointStore;
import org.cil4j.checkpoint.Manifest;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.experiment.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Fuzz-style checks of every file format the project reads (IDX plain and gzipped, CIFAR
 * binary, PNG and JPEG images, config JSON, checkpoints, the decoded-image cache): truncated and
 * bit-flipped copies must give a {@link CilException} whose message names the file, or load
 * cleanly where the damage cannot be told from data (a flipped pixel of an IDX file); never
 * another exception and never a crash. Formats with a checksum (checkpoints, cache) must detect
 * every change.
 */
class HostileFilesTest {
    @TempDir
    Path tmp;

    /** What happened to each mutation ("x.png truncated: rejected" -> count), for the assertions. */
    private final Map<String, Integer> outcomes = new TreeMap<>();

    /** Loads the file set; returns normally when the content was accepted. */
    interface Load {
        void run() throws Exception;
    }

    static List<byte[]> truncations(byte[] b) {
        List<byte[]> out = new ArrayList<>();
        for (int n : new int[] {0, 1, 3, 8, 15, b.length / 3, b.length / 2, b.length - 1}) {
            if (n >= 0 && n < b.length) {
                out.add(Arrays.copyOf(b, n));
            }
        }
        return out;
    }

    static List<byte[]> bitFlips(byte[] b, long seed) {
        List<byte[]> out = new ArrayList<>();
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 40 && b.length > 0; i++) {
            int pos = i < 20 ? Math.min(i, b.length - 1) : rnd.nextInt(b.length);
            byte[] c = b.clone();
            c[pos] ^= (byte) (1 << rnd.nextInt(8));
            out.add(c);
        }
        return out;
    }

    /**
     * Damages one file in every way, runs the load after each, and restores it.
     *
     * @param file the file to damage
     * @param load reads the data set it belongs to
     * @param truncationMustFail which truncated lengths must be rejected
     * @param flipMustFail a bit-flipped copy must be rejected
     */
    void fuzz(Path file, Load load, boolean truncationMustFail, boolean flipMustFail) throws Exception {
        fuzz(file, load, n -> truncationMustFail, flipMustFail);
    }

    void fuzz(Path file, Load load, java.util.function.IntPredicate truncationMustFail, boolean flipMustFail)
            throws Exception {
        byte[] orig = Files.readAllBytes(file);
        load.run(); // the intact file loads
        int i = 0;
        List<byte[]> cuts = truncations(orig);
        for (byte[] t : cuts) {
            check(
                    file,
                    t,
                    load,
                    truncationMustFail.test(t.length),
                    "truncated",
                    "truncated to " + t.length + " of " + orig.length + " bytes");
        }
        List<byte[]> flips = bitFlips(orig, file.getFileName().toString().hashCode());
        for (byte[] f : flips) {
            check(file, f, load, flipMustFail, "bit flip", "bit flip #" + i++);
        }
        Files.write(file, orig);
        load.run(); // and loads again once restored
        String name = tmp.relativize(file).toString();
        // every damaged copy was either rejected with a message naming the file or accepted, and the
        // loader noticed the damage at least once per kind that can be told from data
        assertEquals(cuts.size(), count(name + " truncated"), outcomes.toString());
        assertEquals(flips.size(), count(name + " bit flip"), outcomes.toString());
        assertTrue(count(name + " truncated: rejected") > 0, name + ": no truncated copy was rejected " + outcomes);
        if (flipMustFail) {
            assertEquals(flips.size(), count(name + " bit flip: rejected"), outcomes.toString());
        }
    }

    /** @return how many mutations have an outcome key starting with {@code prefix} */
    private int count(String prefix) {
        return outcomes.entrySet().stream()
                .filter(e -> e.getKey().startsWith(prefix))
                .mapToInt(Map.Entry::getValue)
                .sum();
    }

    private void check(Path file, byte[] content, Load load, boolean mustFail, String kind, String what)
            throws Exception {
        Files.write(file, content);
        String name = file.getFileName() + " " + what;
        String key = tmp.relativize(file) + " " + kind;
        boolean loaded = false;
        try {
            load.run();
            loaded = true;
            outcomes.merge(key + ": loaded", 1, Integer::sum);
        } catch (CilException e) {
            outcomes.merge(key + ": rejected", 1, Integer::sum);
            assertTrue(
                    e.getMessage() != null
                            && e.getMessage().contains(file.getFileName().toString()),
                    name + ": the message does not name the file: " + e.getMessage());
        } catch (Throwable e) {
            throw new AssertionError(name + ": " + e + " instead of a CilException", e);
        }
        assertFalse(mustFail && loaded, name + ": accepted a damaged file");
    }

    @Test
    void idxFilesPlainAndGzipped() throws Exception {
        for (boolean gz : new boolean[] {false, true}) {
            Path dir = tmp.resolve(gz ? "gz" : "raw");
            TestFiles.writeIdxSplit(dir, gz);
            try (var s = Files.list(dir)) {
                for (Path f : s.sorted().toList()) {
                    String split = f.getFileName().toString().startsWith("train") ? "train" : "test";
                    // a flipped pixel or label byte is valid data; gzip's CRC covers the data but not
                    // its header's metadata (time, flags, OS)
                    fuzz(f, () -> IdxLoader.loadSplit(dir, split), true, false);
                }
            }
        }
        System.out.println(outcomes);
    }

    @Test
    void cifarBinaryBatches() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve(CifarLoader.CIFAR10_FOLDER));
        for (int b = 1; b <= 5; b++) {
            Files.write(dir.resolve("data_batch_" + b + ".bin"), TestFiles.cifarRecords(new int[][] {{b}, {b + 1}}));
        }
        Path test = dir.resolve("test_batch.bin");
        Files.write(test, TestFiles.cifarRecords(new int[][] {{9}, {0}}));
        Files.write(dir.resolve("batches.meta.txt"), "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n".getBytes(StandardCharsets.UTF_8));
        // the format has no header: a file cut at a record boundary is a valid shorter batch
        fuzz(test, () -> CifarLoader.loadCifar10(tmp, "test"), n -> n % 3073 != 0, false);
        System.out.println(outcomes);
    }

    @Test
    void pngAndJpegImages() throws Exception {
        Path root = tmp.resolve("folder");
        for (String c : List.of("a", "b")) {
            TestFiles.png(root.resolve("train/" + c + "/x.png"), TestFiles.solid(8, 8, 0x336699));
            Files.createDirectories(root.resolve("train/" + c));
            assertTrue(ImageIO.write(
                    TestFiles.solid(8, 8, 0x993366),
                    "jpg",
                    root.resolve("train/" + c + "/y.jpg").toFile()));
        }
        for (String f : List.of("train/a/x.png", "train/b/y.jpg")) {
            // a flipped bit may still decode to some pixels, but a cut image is missing data, except a
            // PNG cut inside its closing 12-byte IEND chunk, which ends after the last pixel
            long size = Files.size(root.resolve(f));
            java.util.function.IntPredicate cutMustFail = f.endsWith(".png") ? n -> n < size - 12 : n -> true;
            fuzz(
                    root.resolve(f),
                    () -> new ImageFolderLoader(8, 8).withThreads(1).load(root, "train"),
                    cutMustFail,
                    false);
        }
        System.out.println(outcomes);
    }

    @Test
    void configJson() throws Exception {
        Path f = tmp.resolve("exp.json");
        Files.writeString(
                f,
                "{\"name\": \"x\", \"seed\": 3, \"data\": {\"dataset\": \"fashion-mnist\"},"
                        + " \"scenario\": {\"base\": 2, \"increment\": 2}, \"train\": {\"epochs\": 2, \"lr\": 0.05},"
                        + " \"method\": {\"name\": \"icarl\", \"params\": {\"memoryPerClass\": 20}}}");
        // a flipped character can give another valid config; a cut one is never valid JSON
        fuzz(f, () -> ConfigLoader.load(f, List.of()), true, false);
        System.out.println(outcomes);
    }

    @Test
    void checkpointsDetectEveryChange() throws Exception {
        CheckpointStore store = new CheckpointStore(tmp.resolve("checkpoints"));
        Path ckpt;
        try (NDManager m = NDManager.newBaseManager()) {
            StateWriter w = new StateWriter(m);
            w.put("net.w", m.create(new float[] {1, 2, 3, 4, 5, 6}, new Shape(2, 3)));
            w.putInts("memory.class.0", new int[] {4, 2, 7});
            byte[] tensors = w.encode();
            Manifest man = new Manifest(
                    CheckpointStore.FORMAT,
                    1,
                    "abc",
                    ConfigLoader.MAPPER.createObjectNode(),
                    0,
                    0,
                    1,
                    List.of(),
                    3,
                    ConfigLoader.MAPPER.createObjectNode(),
                    null);
            ckpt = store.write(man, Map.of("start.ndlist", tensors));
            try (StateReader r =
                    new StateReader("start.ndlist", CheckpointStore.read(ckpt).file("start.ndlist"), m)) {
                assertEquals(
                        List.of(4, 2, 7),
                        Arrays.stream(r.ints("memory.class.0")).boxed().toList());
            }
        }
        try (var s = Files.list(ckpt)) {
            for (Path f : s.sorted().toList()) {
                fuzz(f, () -> CheckpointStore.read(ckpt), true, true);
            }
        }
        System.out.println(outcomes);
    }

    @Test
    void decodedCacheEntriesAreDetectedAndReadAsAbsent() throws Exception {
        DecodedCache cache = new DecodedCache(tmp.resolve("cache"));
        byte[] px = new byte[2 * 3 * 4 * 4];
        for (int i = 0; i < px.length; i++) {
            px[i] = (byte) (i * 13);
        }
        ImageDataset d = new ImageDataset("d", px, new int[] {0, 1}, 3, 4, 4, List.of("a", "b"));
        assertTrue(cache.write("k1", d));
        Path f = cache.fileFor("k1");
        byte[] orig = Files.readAllBytes(f);
        List<byte[]> damaged = new ArrayList<>(truncations(orig));
        damaged.addAll(bitFlips(orig, 7));
        for (byte[] b : damaged) {
            Files.write(f, b);
            try {
                // the cache's contract: a damaged entry is reported (a warning naming it), deleted and
                // read as absent, so the images are decoded again
                assertTrue(cache.read("k1", "d").isEmpty(), "a damaged cache entry was read");
            } catch (CilException e) {
                assertTrue(e.getMessage().contains(f.getFileName().toString()), e.getMessage());
            }
        }
    }
}
