package org.cil4j.data;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An on-disk cache of decoded, resized image datasets, so that a folder of JPEGs is decoded once
 * rather than on every run.
 *
 * <p>An entry is found by a key that hashes everything its content depends on (see {@link
 * #key}): a change of any input gives a new key, so a stale entry is never read (old entries are
 * left on disk; delete the folder to reclaim the space). An entry file holds a header (magic,
 * format version, key, shape, counts, class names), the labels, the pixels and a CRC-32C of all
 * of it. A truncated or corrupted entry is detected, reported in a warning naming the file,
 * deleted, and reported as absent, so the caller decodes again; it is never half-loaded. Entries
 * are written to a temporary file in the same folder, forced to disk and renamed into place.
 */
public final class DecodedCache {
    /** Version of the entry format and of the decoding rules; part of every key. */
    public static final int FORMAT_VERSION = 1;

    /** Environment variable naming the cache folder. */
    public static final String ENV = "CIL4J_CACHE";

    private static final Logger LOG = LoggerFactory.getLogger(DecodedCache.class);
    private static final byte[] MAGIC = "CIL4JDC\0".getBytes(StandardCharsets.US_ASCII);
    private static final String SUFFIX = ".imgcache";
    private static final int MAX_SIDE = 1 << 15;
    private static final int MAX_CLASSES = 1 << 20;

    private final Path dir;

    /**
     * A source file that an entry was decoded from.
     *
     * @param relativePath the path relative to the dataset root, with '/' separators
     * @param size the file's size in bytes
     * @param modified the file's modification time in microseconds since the epoch
     */
    public record SourceFile(String relativePath, long size, long modified) {}

    /**
     * Creates a cache in a folder, which is created on the first write.
     *
     * @param dir the cache folder
     */
    public DecodedCache(Path dir) {
        this.dir = dir.toAbsolutePath().normalize();
    }

    /**
     * The default cache folder: {@code $CIL4J_CACHE} when set, else {@code ~/.cache/cil4j}.
     *
     * @return the folder
     */
    public static Path defaultDir() {
        String env = System.getenv(ENV);
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "cil4j");
    }

    /**
     * A cache in {@link #defaultDir()}.
     *
     * @return the cache
     */
    public static DecodedCache atDefaultLocation() {
        return new DecodedCache(defaultDir());
    }

    /** @return the cache folder */
    public Path dir() {
        return dir;
    }

    /**
     * Computes the key of a decoded folder dataset: a readable prefix and a SHA-256 hash of the
     * absolute root path, the split, the class names in label order, every source file's relative
     * path, size and modification time, the target size and {@link #FORMAT_VERSION}.
     *
     * @param root the dataset root
     * @param split the split folder's name
     * @param classNames the class names in label order
     * @param files the source files in dataset order
     * @param height the target height
     * @param width the target width
     * @return a key that is also a safe file name
     */
    public static String key(
            Path root, String split, List<String> classNames, List<SourceFile> files, int height, int width) {
        MessageDigest sha = sha256();
        Path abs = root.toAbsolutePath().normalize();
        update(sha, "cil4j-decoded-cache");
        update(sha, Integer.toString(FORMAT_VERSION));
        update(sha, abs.toString());
        update(sha, split);
        update(sha, height + "x" + width);
        update(sha, Integer.toString(classNames.size()));
        for (String c : classNames) {
            update(sha, c);
        }
        update(sha, Integer.toString(files.size()));
        for (SourceFile f : files) {
            update(sha, f.relativePath() + "\t" + f.size() + "\t" + f.modified());
        }
        String hash = HexFormat.of().formatHex(sha.digest(), 0, 16);
        Path name = abs.getFileName();
        String readable = (name == null ? "root" : name.toString()) + "-" + split;
        readable = readable.replaceAll("[^A-Za-z0-9._-]", "_");
        return readable + "-" + height + "x" + width + "-" + hash;
    }

    /**
     * The file that holds (or would hold) an entry.
     *
     * @param key a key from {@link #key}
     * @return the entry's path in the cache folder
     */
    public Path fileFor(String key) {
        if (!key.matches("[A-Za-z0-9._-]+")) {
            throw new IllegalArgumentException("bad cache key: " + key);
        }
        return dir.resolve(key + SUFFIX);
    }

    /**
     * Reads an entry. A damaged entry is logged, deleted and reported as absent.
     *
     * @param key the entry's key
     * @param name the name to give the dataset
     * @return the dataset, or empty when there is no valid entry
     */
    public Optional<ImageDataset> read(String key, String name) {
        Path file = fileFor(key);
        if (!Files.isRegularFile(file)) {
            return Optional.empty();
        }
        try {
            return Optional.of(readEntry(file, key, name));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            LOG.warn(
                    "Decoded-image cache file {} is damaged ({}); deleting it and decoding the" + " images again",
                    file,
                    e instanceof EOFException
                            ? "truncated: unexpected end of file"
                            : e.getMessage() == null ? e.toString() : e.getMessage());
            try {
                Files.deleteIfExists(file);
            } catch (IOException d) {
                LOG.warn("Could not delete damaged cache file {}: {}", file, d.toString());
            }
            return Optional.empty();
        }
    }

    /**
     * Writes an entry atomically. A failure (a full disk, a read-only folder) is logged and
     * otherwise ignored, since the cache only saves time.
     *
     * @param key the entry's key
     * @param data the dataset to store
     * @return true when the entry was written
     */
    public boolean write(String key, ImageDataset data) {
        Path file = fileFor(key);
        Path tmp = null;
        try {
            Files.createDirectories(dir);
            tmp = Files.createTempFile(dir, "." + key + ".", ".tmp");
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                CheckedOutputStream checked = new CheckedOutputStream(
                        new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16), new CRC32C());
                DataOutputStream out = new DataOutputStream(checked);
                writeEntry(out, key, data);
                out.writeLong(checked.getChecksum().getValue());
                out.flush();
                ch.force(true);
            }
            moveAtomically(tmp, file);
            tmp = null;
            forceDir(dir);
            return true;
        } catch (IOException | RuntimeException e) {
            LOG.warn("Could not write decoded-image cache file {}: {}", file, e.toString());
            return false;
        } finally {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException e) {
                    LOG.warn("Could not delete temporary file {}: {}", tmp, e.toString());
                }
            }
        }
    }

    private static void writeEntry(DataOutputStream out, String key, ImageDataset d) throws IOException {
        out.write(MAGIC);
        out.writeInt(FORMAT_VERSION);
        out.writeUTF(key);
        out.writeInt(d.channels());
        out.writeInt(d.height());
        out.writeInt(d.width());
        out.writeInt(d.size());
        out.writeInt(d.numClasses());
        for (String c : d.classNames()) {
            out.writeUTF(c);
        }
        for (int l : d.labels()) {
            out.writeInt(l);
        }
        out.write(d.pixels());
    }

    private static ImageDataset readEntry(Path file, String key, String name) throws IOException {
        long fileSize = Files.size(file);
        try (InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
            CheckedInputStream checked = new CheckedInputStream(raw, new CRC32C());
            DataInputStream in = new DataInputStream(checked);
            byte[] magic = new byte[MAGIC.length];
            in.readFully(magic);
            if (!Arrays.equals(magic, MAGIC)) {
                throw new IOException("not a cil4j cache file (bad magic)");
            }
            int version = in.readInt();
            if (version != FORMAT_VERSION) {
                throw new IOException("format version " + version + ", expected " + FORMAT_VERSION);
            }
            String storedKey = in.readUTF();
            if (!storedKey.equals(key)) {
                throw new IOException("holds key " + storedKey + ", expected " + key);
            }
            long headerBytes = MAGIC.length + 4L + 2 + utfLength(storedKey);
            int channels = in.readInt();
            int height = in.readInt();
            int width = in.readInt();
            int count = in.readInt();
            int numClasses = in.readInt();
            headerBytes += 20;
            if ((channels != 1 && channels != 3)
                    || height <= 0
                    || width <= 0
                    || height > MAX_SIDE
                    || width > MAX_SIDE
                    || count < 0
                    || numClasses <= 0
                    || numClasses > MAX_CLASSES) {
                throw new IOException("bad header: "
                        + count
                        + " images of "
                        + channels
                        + "x"
                        + height
                        + "x"
                        + width
                        + ", "
                        + numClasses
                        + " classes");
            }
            long imageSize = (long) channels * height * width;
            long payload = 4L * count + imageSize * count;
            if (headerBytes + payload + 8 > fileSize || imageSize * count > Integer.MAX_VALUE - 16) {
                throw new IOException("truncated: the header declares "
                        + count
                        + " images, the file has only "
                        + fileSize
                        + " bytes");
            }
            String[] names = new String[numClasses];
            for (int i = 0; i < numClasses; i++) {
                names[i] = in.readUTF();
                headerBytes += 2 + utfLength(names[i]);
            }
            long expected = headerBytes + payload + 8;
            if (expected != fileSize) {
                throw new IOException((fileSize < expected ? "truncated" : "corrupt")
                        + ": expected "
                        + expected
                        + " bytes, found "
                        + fileSize);
            }
            int[] labels = new int[count];
            for (int i = 0; i < count; i++) {
                labels[i] = in.readInt();
            }
            byte[] pixels = new byte[(int) (imageSize * count)];
            in.readFully(pixels);
            long crc = checked.getChecksum().getValue();
            long stored = in.readLong();
            if (crc != stored) {
                throw new IOException("checksum mismatch: the content was modified or corrupted");
            }
            if (in.read() != -1) {
                throw new IOException("trailing bytes after the checksum");
            }
            return new ImageDataset(name, pixels, labels, channels, height, width, List.of(names));
        }
    }

    private static int utfLength(String s) {
        // Modified UTF-8 as written by DataOutputStream.writeUTF.
        int n = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            n += (c >= 0x0001 && c <= 0x007F) ? 1 : (c <= 0x07FF ? 2 : 3);
        }
        return n;
    }

    /** Renames {@code tmp} onto {@code target} atomically where the file system allows. */
    static void moveAtomically(Path tmp, Path target) throws IOException {
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Forces a folder's entries to disk, so that a rename survives a crash (best effort). */
    static void forceDir(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not supported everywhere (for example on Windows); the rename itself is atomic.
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static void update(MessageDigest md, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        md.update((byte) (b.length >>> 24));
        md.update((byte) (b.length >>> 16));
        md.update((byte) (b.length >>> 8));
        md.update((byte) b.length);
        md.update(b);
    }
}
