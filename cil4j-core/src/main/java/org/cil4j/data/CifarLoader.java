package org.cil4j.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.cil4j.CilException;

/**
 * Reads the official binary versions of CIFAR-10 and CIFAR-100.
 *
 * <p>CIFAR-10 ({@code cifar-10-batches-bin/}): {@code data_batch_1.bin} to {@code
 * data_batch_5.bin} for training, {@code test_batch.bin} for testing, each a sequence of records
 * of one label byte and 3072 pixel bytes; class names in {@code batches.meta.txt}. CIFAR-100
 * ({@code cifar-100-binary/}): {@code train.bin} and {@code test.bin}, records of a coarse label
 * byte, a fine label byte and 3072 pixel bytes; the fine labels (100 classes) are used, named by
 * {@code fine_label_names.txt}. The 3072 bytes are the red, green and blue 32x32 planes, which is
 * already the channel-first layout of {@link ImageDataset}.
 *
 * <p>Every method accepts either the extracted folder itself or the folder that holds it.
 */
public final class CifarLoader {
    /** Folder name of the extracted CIFAR-10 binary archive. */
    public static final String CIFAR10_FOLDER = "cifar-10-batches-bin";

    /** Folder name of the extracted CIFAR-100 binary archive. */
    public static final String CIFAR100_FOLDER = "cifar-100-binary";

    private static final int SIDE = 32;
    private static final int IMAGE_BYTES = 3 * SIDE * SIDE;

    private CifarLoader() {}

    /**
     * Loads a CIFAR-10 split.
     *
     * @param dir {@code cifar-10-batches-bin} or its parent
     * @param split "train" (the five data batches, in order) or "test"
     * @return a three-channel 32x32 dataset named "cifar10/train" or "cifar10/test"
     * @throws CilException naming the file that is missing, truncated or holds a bad label
     */
    public static ImageDataset loadCifar10(Path dir, String split) {
        Path folder = locate(dir, CIFAR10_FOLDER, "data_batch_1.bin", "cifar10");
        List<String> names = readNames(folder.resolve("batches.meta.txt"), 10);
        List<Path> files = new ArrayList<>();
        if (checkSplit(split).equals("train")) {
            for (int i = 1; i <= 5; i++) {
                files.add(folder.resolve("data_batch_" + i + ".bin"));
            }
        } else {
            files.add(folder.resolve("test_batch.bin"));
        }
        return read(files, 1, 0, 10, "cifar10/" + split, names);
    }

    /**
     * Loads a CIFAR-100 split with its fine labels.
     *
     * @param dir {@code cifar-100-binary} or its parent
     * @param split "train" or "test"
     * @return a three-channel 32x32 dataset of 100 classes named "cifar100/train" or
     *     "cifar100/test"
     * @throws CilException naming the file that is missing, truncated or holds a bad label
     */
    public static ImageDataset loadCifar100(Path dir, String split) {
        Path folder = locate(dir, CIFAR100_FOLDER, "train.bin", "cifar100");
        List<String> names = readNames(folder.resolve("fine_label_names.txt"), 100);
        Path file = folder.resolve(checkSplit(split) + ".bin");
        return read(List.of(file), 2, 1, 100, "cifar100/" + split, names);
    }

    /**
     * Finds the extracted folder: {@code dir} itself when it holds {@code probe}, else {@code
     * dir/folderName}.
     *
     * @return the folder, or throws a CilException naming both places looked at
     */
    static Path locate(Path dir, String folderName, String probe, String dataset) {
        if (Files.isRegularFile(dir.resolve(probe))) {
            return dir;
        }
        Path inner = dir.resolve(folderName);
        if (Files.isRegularFile(inner.resolve(probe))) {
            return inner;
        }
        throw new CilException("no "
                + dataset
                + " binary data: looked for "
                + dir.resolve(probe)
                + " and "
                + inner.resolve(probe)
                + "; get it with `cil data fetch "
                + dataset
                + "`");
    }

    /** Tells whether {@code dir} holds the extracted folder or is it. */
    static boolean present(Path dir, String folderName, String probe) {
        return Files.isRegularFile(dir.resolve(probe))
                || Files.isRegularFile(dir.resolve(folderName).resolve(probe));
    }

    private static String checkSplit(String split) {
        if (!split.equals("train") && !split.equals("test")) {
            throw new CilException("unknown split '" + split + "' for CIFAR: use train or test");
        }
        return split;
    }

    private static List<String> readNames(Path file, int expected) {
        List<String> names = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    names.add(line.strip());
                }
            }
        } catch (IOException e) {
            throw new CilException("cannot read the class names in " + file + ": " + e, e);
        }
        if (names.size() != expected) {
            throw new CilException(file + ": expected " + expected + " class names, found " + names.size());
        }
        return names;
    }

    /**
     * Reads record files: each record is {@code labelBytes} label bytes, of which the one at
     * {@code labelIndex} is used, then the image.
     */
    private static ImageDataset read(
            List<Path> files, int labelBytes, int labelIndex, int numClasses, String name, List<String> classNames) {
        int record = labelBytes + IMAGE_BYTES;
        long total = 0;
        for (Path f : files) {
            long size;
            try {
                size = Files.size(f);
            } catch (IOException e) {
                throw new CilException("missing CIFAR file: " + f, e);
            }
            if (size == 0 || size % record != 0) {
                throw new CilException(f
                        + ": truncated or corrupt: "
                        + size
                        + " bytes is not a positive multiple of the "
                        + record
                        + "-byte record");
            }
            total += size / record;
        }
        if (total * IMAGE_BYTES > Integer.MAX_VALUE - 16) {
            throw new CilException(name + ": too many images to load (" + total + ")");
        }
        int n = (int) total;
        byte[] px = new byte[n * IMAGE_BYTES];
        int[] lb = new int[n];
        int pos = 0;
        for (Path f : files) {
            byte[] data;
            try {
                data = Files.readAllBytes(f);
            } catch (IOException e) {
                throw new CilException("cannot read " + f + ": " + e.getMessage(), e);
            }
            if (data.length % record != 0) {
                throw new CilException(f + ": changed while being read");
            }
            for (int r = 0; r < data.length / record; r++, pos++) {
                int off = r * record;
                if (labelBytes == 2 && (data[off] & 0xff) >= 20) {
                    throw new CilException(f
                            + ": coarse label "
                            + (data[off] & 0xff)
                            + " of record "
                            + r
                            + " is out of range [0, 20)");
                }
                int label = data[off + labelIndex] & 0xff;
                if (label >= numClasses) {
                    throw new CilException(
                            f + ": label " + label + " of record " + r + " is out of range [0, " + numClasses + ")");
                }
                lb[pos] = label;
                System.arraycopy(data, off + labelBytes, px, pos * IMAGE_BYTES, IMAGE_BYTES);
            }
        }
        return new ImageDataset(name, px, lb, 3, SIDE, SIDE, classNames);
    }
}
