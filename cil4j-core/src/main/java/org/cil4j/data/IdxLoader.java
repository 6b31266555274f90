package org.cil4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.cil4j.CilException;

/**
 * Reads MNIST-style IDX files (MNIST, Fashion-MNIST), gzipped or raw.
 *
 * <p>An image file starts with the magic number {@code 0x00000803} (unsigned bytes, three
 * dimensions), then the image count, rows and columns as big-endian ints, then the pixels. A
 * label file starts with {@code 0x00000801}, then the count, then one byte per label. Gzip is
 * recognized by its magic bytes {@code 1f 8b}, not by the file name. Every header is checked
 * against the length of the file, so a truncated download is reported rather than read.
 */
public final class IdxLoader {
    /** Magic number of an IDX file of unsigned bytes with three dimensions (images). */
    public static final int IMAGES_MAGIC = 0x00000803;

    /** Magic number of an IDX file of unsigned bytes with one dimension (labels). */
    public static final int LABELS_MAGIC = 0x00000801;

    private IdxLoader() {}

    /**
     * The digit class names "0" to "9", as used by MNIST.
     *
     * @return ten names
     */
    public static List<String> digitNames() {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            names.add(Integer.toString(i));
        }
        return List.copyOf(names);
    }

    /**
     * Loads one image file and its label file.
     *
     * @param images the IDX image file ({@code 0x00000803}), gzipped or raw
     * @param labels the IDX label file ({@code 0x00000801}), gzipped or raw
     * @param name the dataset's name (for example "fashion-mnist/train")
     * @param classNames the class names, indexed by label; every label must be below its size
     * @return a one-channel dataset
     * @throws CilException naming the file when a file is missing, truncated or malformed, when
     *     the counts differ, or when a label is out of range
     */
    public static ImageDataset load(Path images, Path labels, String name, List<String> classNames) {
        byte[] img = readAll(images);
        byte[] lab = readAll(labels);

        int n = header(img, images, IMAGES_MAGIC, 16, "image");
        int rows = readInt(img, 8);
        int cols = readInt(img, 12);
        if (rows <= 0 || cols <= 0) {
            throw new CilException(images + ": bad image size " + rows + "x" + cols + " in the header");
        }
        long expected = 16L + (long) n * rows * cols;
        if (expected > Integer.MAX_VALUE - 16) {
            throw new CilException(
                    images + ": header declares " + n + " images of " + rows + "x" + cols + ", too large to load");
        }
        checkLength(images, img.length, expected);

        int m = header(lab, labels, LABELS_MAGIC, 8, "label");
        checkLength(labels, lab.length, 8L + m);
        if (m != n) {
            throw new CilException(labels + " has " + m + " labels but " + images + " has " + n + " images");
        }
        int[] lb = new int[n];
        for (int i = 0; i < n; i++) {
            lb[i] = lab[8 + i] & 0xff;
            if (lb[i] >= classNames.size()) {
                throw new CilException(labels
                        + ": label "
                        + lb[i]
                        + " of sample "
                        + i
                        + " is out of range [0, "
                        + classNames.size()
                        + ")");
            }
        }
        byte[] px = new byte[n * rows * cols];
        System.arraycopy(img, 16, px, 0, px.length);
        return new ImageDataset(name, px, lb, 1, rows, cols, classNames);
    }

    /**
     * Loads a split from a folder holding the standard file names: {@code train-images-idx3-ubyte}
     * and {@code train-labels-idx1-ubyte} for "train", {@code t10k-images-idx3-ubyte} and {@code
     * t10k-labels-idx1-ubyte} for "test", each optionally ending in {@code .gz}. Classes are named
     * "0" to "9".
     *
     * @param dir the folder
     * @param split "train" or "test"
     * @return a one-channel dataset named {@code <folder name>/<split>}
     * @throws CilException when a file is missing (naming the path looked for) or malformed
     */
    public static ImageDataset loadSplit(Path dir, String split) {
        Path name = dir.toAbsolutePath().normalize().getFileName();
        String prefix = name == null ? "idx" : name.toString();
        return loadSplit(dir, split, prefix + "/" + split, digitNames());
    }

    /**
     * Loads a split from a folder holding the standard file names (see {@link #loadSplit(Path,
     * String)}).
     *
     * @param dir the folder
     * @param split "train" or "test"
     * @param name the dataset's name
     * @param classNames the class names, indexed by label
     * @return a one-channel dataset
     * @throws CilException when a file is missing (naming the path looked for) or malformed
     */
    public static ImageDataset loadSplit(Path dir, String split, String name, List<String> classNames) {
        String prefix = prefix(split);
        Path images = find(dir, prefix + "-images-idx3-ubyte");
        Path labels = find(dir, prefix + "-labels-idx1-ubyte");
        return load(images, labels, name, classNames);
    }

    /**
     * Tells whether a folder holds all four standard files (train and test, images and labels).
     *
     * @param dir a folder, which need not exist
     * @return true when every file is there, raw or gzipped
     */
    public static boolean hasStandardFiles(Path dir) {
        for (String base : List.of(
                "train-images-idx3-ubyte",
                "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte",
                "t10k-labels-idx1-ubyte")) {
            if (!Files.isRegularFile(dir.resolve(base)) && !Files.isRegularFile(dir.resolve(base + ".gz"))) {
                return false;
            }
        }
        return true;
    }

    private static String prefix(String split) {
        return switch (split) {
            case "train" -> "train";
            case "test" -> "t10k";
            default -> throw new CilException("unknown split '" + split + "' for IDX data: use train or test");
        };
    }

    private static Path find(Path dir, String base) {
        Path raw = dir.resolve(base);
        Path gz = dir.resolve(base + ".gz");
        if (Files.isRegularFile(raw)) {
            return raw;
        }
        if (Files.isRegularFile(gz)) {
            return gz;
        }
        throw new CilException("missing IDX file: looked for " + raw + " and " + gz);
    }

    /** Checks the magic number and the declared count; returns the count. */
    private static int header(byte[] data, Path file, int magic, int headerSize, String kind) {
        if (data.length < 4) {
            throw truncatedHeader(file, headerSize, data.length);
        }
        int found = readInt(data, 0);
        if (found != magic) {
            String hint = "";
            if (found == IMAGES_MAGIC) {
                hint = " (this looks like an image file)";
            } else if (found == LABELS_MAGIC) {
                hint = " (this looks like a label file)";
            }
            throw new CilException(String.format(
                    "%s: not an IDX %s file: magic number 0x%08x, expected 0x%08x%s", file, kind, found, magic, hint));
        }
        if (data.length < headerSize) {
            throw truncatedHeader(file, headerSize, data.length);
        }
        int n = readInt(data, 4);
        if (n < 0) {
            throw new CilException(file + ": negative count " + n + " in the IDX header");
        }
        return n;
    }

    private static CilException truncatedHeader(Path file, int headerSize, int found) {
        return new CilException(
                file + ": truncated: expected at least " + headerSize + " bytes (the IDX header), found " + found);
    }

    private static void checkLength(Path file, long found, long expected) {
        if (found < expected) {
            throw new CilException(
                    file + ": truncated: expected " + expected + " bytes, found " + found + gzNote(file));
        }
        if (found > expected) {
            throw new CilException(file
                    + ": corrupt: expected "
                    + expected
                    + " bytes, found "
                    + found
                    + gzNote(file)
                    + "; the data runs past what the header declares");
        }
    }

    private static String gzNote(Path file) {
        return isGzip(file) ? " (after decompression)" : "";
    }

    private static int readInt(byte[] b, int off) {
        return ((b[off] & 0xff) << 24) | ((b[off + 1] & 0xff) << 16) | ((b[off + 2] & 0xff) << 8) | (b[off + 3] & 0xff);
    }

    private static boolean isGzip(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return in.read() == 0x1f && in.read() == 0x8b;
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads a whole file, decompressing it when it starts with the gzip magic bytes. */
    static byte[] readAll(Path file) {
        try {
            if (!isGzip(file)) {
                return Files.readAllBytes(file);
            }
            InputStream raw = new BufferedInputStream(Files.newInputStream(file), 1 << 16);
            try (InputStream in = new GZIPInputStream(raw, 1 << 16)) {
                return readGz(in, file);
            }
        } catch (NoSuchFileException e) {
            throw new CilException("missing file: " + file, e);
        } catch (IOException e) {
            throw new CilException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private static byte[] readGz(InputStream in, Path file) throws IOException {
        byte[] buf = new byte[1 << 20];
        int len = 0;
        try {
            while (true) {
                if (len == buf.length) {
                    if (buf.length >= Integer.MAX_VALUE - 16) {
                        throw new CilException(file + ": decompressed data too large to load");
                    }
                    long grown = Math.min(Integer.MAX_VALUE - 16L, buf.length * 2L);
                    buf = Arrays.copyOf(buf, (int) grown);
                }
                int r = in.read(buf, len, buf.length - len);
                if (r < 0) {
                    break;
                }
                len += r;
            }
        } catch (EOFException e) {
            int declared = declaredLength(buf, len);
            String what = declared > len
                    ? "expected " + declared + " bytes, found " + len
                    : "the compressed stream ends early after " + len + " bytes";
            throw new CilException(file + ": truncated: " + what + " (gzip data cut short)", e);
        } catch (ZipException e) {
            throw new CilException(file + ": corrupt gzip data after " + len + " bytes: " + e.getMessage(), e);
        }
        return Arrays.copyOf(buf, len);
    }

    /** The total length a partial IDX file declares in its header, or -1 if unknown. */
    private static int declaredLength(byte[] b, int len) {
        if (len < 8) {
            return -1;
        }
        int magic = readInt(b, 0);
        long n = readInt(b, 4);
        if (magic == LABELS_MAGIC) {
            return (int) Math.min(Integer.MAX_VALUE, 8 + n);
        }
        if (magic == IMAGES_MAGIC && len >= 16) {
            return (int) Math.min(Integer.MAX_VALUE, 16 + n * readInt(b, 8) * readInt(b, 12));
        }
        return -1;
    }
}
