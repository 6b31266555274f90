package org.cil4j.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javax.imageio.ImageIO;
import javax.imageio.stream.ImageInputStream;
import org.cil4j.CilException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads ImageNet-style folders: {@code root/train/<class>/*} and {@code root/val/<class>/*}, each
 * file a JPEG or PNG image.
 *
 * <p>The label of a class is its 0-based line number in {@code root/wnids.txt} when that file
 * exists, else its position among the sorted folder names of {@code root/train}. Images are
 * decoded with {@link ImageIO} on a small pool of threads, converted to RGB (grayscale by
 * repeating the gray value, paletted images through their palette, alpha dropped; embedded color
 * profiles are ignored, as in PIL's {@code convert("RGB")}) and resized with {@link
 * ImageResize}. The result is deterministic: classes in label order, files sorted by name within
 * a class. Hidden files (names starting with '.') are skipped; any other file that is not an
 * image is an error, and so is a truncated image (a JPEG whose decoder reports the file cut
 * short, which {@link ImageIO#read} would return with its missing rows filled in gray), as PIL
 * refuses one by default.
 *
 * <p>With a {@link DecodedCache}, the decoded dataset is stored on disk and later loads of the
 * same files at the same size read it back instead of decoding.
 *
 * <p>Instances are immutable apart from the decode counter; the {@code with*} methods return
 * modified copies.
 */
public final class ImageFolderLoader {
    /** Name of the optional file listing the class folders in label order. */
    public static final String WNIDS = "wnids.txt";

    private static final Logger LOG = LoggerFactory.getLogger(ImageFolderLoader.class);
    private static final int CHUNK = 64;

    private final int height;
    private final int width;
    private final int threads;
    private final DecodedCache cache;
    private final AtomicLong decoded = new AtomicLong();

    /**
     * Creates a loader that resizes every image to {@code height x width}, decodes on {@code
     * availableProcessors} threads and uses no cache.
     *
     * @param height target height
     * @param width target width
     */
    public ImageFolderLoader(int height, int width) {
        this(height, width, Runtime.getRuntime().availableProcessors(), null);
    }

    private ImageFolderLoader(int height, int width, int threads, DecodedCache cache) {
        if (height <= 0 || width <= 0) {
            throw new CilException("image size must be positive, got " + height + "x" + width);
        }
        if (threads <= 0) {
            throw new CilException("decode threads must be positive, got " + threads);
        }
        this.height = height;
        this.width = width;
        this.threads = threads;
        this.cache = cache;
    }

    /**
     * @param n number of decoding threads
     * @return a copy of this loader decoding on {@code n} threads
     */
    public ImageFolderLoader withThreads(int n) {
        return new ImageFolderLoader(height, width, n, cache);
    }

    /**
     * @param c the cache to read from and write to, or null for none
     * @return a copy of this loader using {@code c}
     */
    public ImageFolderLoader withCache(DecodedCache c) {
        return new ImageFolderLoader(height, width, threads, c);
    }

    /** @return the target height */
    public int height() {
        return height;
    }

    /** @return the target width */
    public int width() {
        return width;
    }

    /** @return the cache, if any */
    public Optional<DecodedCache> cache() {
        return Optional.ofNullable(cache);
    }

    /**
     * Counts the images this loader has decoded from their source files (images read from the
     * cache are not counted).
     *
     * @return the number of decoded images so far
     */
    public long decodedCount() {
        return decoded.get();
    }

    /**
     * Loads a split.
     *
     * @param root the dataset root, holding {@code train/}, {@code val/} and optionally {@code
     *     wnids.txt}
     * @param split "train", or "val" (also accepted as "test")
     * @return an RGB dataset of {@code height x width} images named {@code <root name>/<split>},
     *     with the class folder names as class names
     * @throws CilException naming the file or folder at fault
     */
    public ImageDataset load(Path root, String split) {
        String folder = splitFolder(split);
        if (!Files.isDirectory(root)) {
            throw new CilException("image folder dataset not found: " + root + " is not a folder");
        }
        Path splitDir = root.resolve(folder);
        if (!Files.isDirectory(splitDir)) {
            throw new CilException("missing split folder " + splitDir);
        }
        List<String> classes = classNames(root);
        List<Entry> entries = list(root, splitDir, classes);
        Path rootName = root.toAbsolutePath().normalize().getFileName();
        String name = (rootName == null ? "images" : rootName.toString()) + "/" + split;

        String key = null;
        if (cache != null) {
            List<DecodedCache.SourceFile> sources = new ArrayList<>(entries.size());
            for (Entry e : entries) {
                sources.add(new DecodedCache.SourceFile(e.relative, e.size, e.modified));
            }
            key = DecodedCache.key(root, folder, classes, sources, height, width);
            Optional<ImageDataset> hit = cache.read(key, name);
            if (hit.isPresent()) {
                LOG.info("Loaded {} ({} images) from cache {}", name, entries.size(), cache.fileFor(key));
                return hit.get();
            }
        }
        ImageDataset data = decodeAll(entries, name, classes);
        if (cache != null) {
            cache.write(key, data);
        }
        return data;
    }

    /**
     * The class names in label order for a root: the lines of {@code wnids.txt} when it exists,
     * else the sorted folder names of {@code root/train}.
     *
     * @param root the dataset root
     * @return the class names, indexed by label
     * @throws CilException when wnids.txt is malformed or the train folder is missing
     */
    public static List<String> classNames(Path root) {
        Path wnids = root.resolve(WNIDS);
        if (Files.isRegularFile(wnids)) {
            List<String> names = new ArrayList<>();
            Map<String, Integer> seen = new HashMap<>();
            List<String> lines;
            try {
                lines = Files.readAllLines(wnids, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new CilException("cannot read " + wnids + ": " + e.getMessage(), e);
            }
            for (int i = 0; i < lines.size(); i++) {
                String w = lines.get(i).strip();
                if (w.isEmpty()) {
                    continue;
                }
                if (w.contains("/") || w.contains("\\") || w.startsWith(".")) {
                    throw new CilException(wnids + ", line " + (i + 1) + ": bad class name '" + w + "'");
                }
                Integer prev = seen.putIfAbsent(w, i + 1);
                if (prev != null) {
                    throw new CilException(
                            wnids + ", line " + (i + 1) + ": class " + w + " already listed on line " + prev);
                }
                names.add(w);
            }
            if (names.isEmpty()) {
                throw new CilException(wnids + " lists no classes");
            }
            return List.copyOf(names);
        }
        Path train = root.resolve("train");
        if (!Files.isDirectory(train)) {
            throw new CilException(
                    "cannot determine the classes of " + root + ": neither " + wnids + " nor " + train + " exists");
        }
        List<String> names = new ArrayList<>(subfolders(train));
        if (names.isEmpty()) {
            throw new CilException(train + " holds no class folders");
        }
        return List.copyOf(names);
    }

    private static String splitFolder(String split) {
        return switch (split) {
            case "train" -> "train";
            case "val", "test" -> "val";
            default -> throw new CilException("unknown split '" + split + "' for an image folder: use train or val");
        };
    }

    /** @return the visible subfolders' names, sorted */
    private static SortedSet<String> subfolders(Path dir) {
        TreeSet<String> names = new TreeSet<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.startsWith(".") && Files.isDirectory(p)) {
                    names.add(n);
                }
            }
        } catch (IOException e) {
            throw new CilException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return names;
    }

    private static final class Entry {
        final Path file;
        final String relative;
        final long size;
        final long modified;
        final int label;

        Entry(Path file, String relative, long size, long modified, int label) {
            this.file = file;
            this.relative = relative;
            this.size = size;
            this.modified = modified;
            this.label = label;
        }
    }

    private static List<Entry> list(Path root, Path splitDir, List<String> classes) {
        boolean fromWnids = Files.isRegularFile(root.resolve(WNIDS));
        String source = fromWnids ? "listed in " + root.resolve(WNIDS) : "missing from " + root.resolve("train");
        for (String f : subfolders(splitDir)) {
            if (!classes.contains(f)) {
                throw new CilException(
                        "class folder " + splitDir.resolve(f) + " is not a known class: it is " + source);
            }
        }
        List<Entry> entries = new ArrayList<>();
        for (int label = 0; label < classes.size(); label++) {
            Path classDir = splitDir.resolve(classes.get(label));
            if (!Files.isDirectory(classDir)) {
                throw new CilException("missing class folder "
                        + classDir
                        + " (class "
                        + classes.get(label)
                        + " is "
                        + (fromWnids ? "listed in " + root.resolve(WNIDS) : "in " + root.resolve("train"))
                        + ")");
            }
            TreeSet<String> files = new TreeSet<>();
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(classDir)) {
                for (Path p : ds) {
                    String n = p.getFileName().toString();
                    if (!n.startsWith(".") && Files.isRegularFile(p)) {
                        files.add(n);
                    }
                }
            } catch (IOException e) {
                throw new CilException("cannot list " + classDir + ": " + e.getMessage(), e);
            }
            if (files.isEmpty()) {
                throw new CilException("empty class folder " + classDir + ": it holds no images");
            }
            String prefix = splitDir.getFileName() + "/" + classes.get(label) + "/";
            for (String n : files) {
                Path p = classDir.resolve(n);
                BasicFileAttributes a;
                try {
                    a = Files.readAttributes(p, BasicFileAttributes.class);
                } catch (IOException e) {
                    throw new CilException("cannot read " + p + ": " + e.getMessage(), e);
                }
                entries.add(
                        new Entry(p, prefix + n, a.size(), a.lastModifiedTime().to(TimeUnit.MICROSECONDS), label));
            }
        }
        return entries;
    }

    private ImageDataset decodeAll(List<Entry> entries, String name, List<String> classes) {
        int n = entries.size();
        int sz = 3 * height * width;
        if ((long) n * sz > Integer.MAX_VALUE - 16) {
            throw new CilException(
                    name + ": " + n + " images of " + height + "x" + width + " are too many to hold in memory");
        }
        byte[] px = new byte[n * sz];
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = entries.get(i).label;
        }
        long start = System.nanoTime();
        int pool = Math.max(1, Math.min(threads, (n + CHUNK - 1) / CHUNK));
        ExecutorService exec = Executors.newFixedThreadPool(pool, r -> {
            Thread t = new Thread(r, "cil4j-decode");
            t.setDaemon(true);
            return t;
        });
        AtomicBoolean failed = new AtomicBoolean();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int from = 0; from < n; from += CHUNK) {
                int lo = from;
                int hi = Math.min(n, from + CHUNK);
                futures.add(exec.submit(() -> {
                    for (int i = lo; i < hi && !failed.get(); i++) {
                        try {
                            decodeInto(entries.get(i).file, px, i * sz);
                        } catch (RuntimeException e) {
                            failed.set(true);
                            throw e;
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                try {
                    f.get();
                } catch (ExecutionException e) {
                    Throwable c = e.getCause();
                    if (c instanceof RuntimeException re) {
                        throw re;
                    }
                    throw new CilException("decoding " + name + " failed: " + c, c);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CilException("interrupted while decoding " + name, e);
        } finally {
            exec.shutdownNow();
        }
        LOG.info("Decoded {} images of {} in {} ms", n, name, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start));
        return new ImageDataset(name, px, labels, 3, height, width, classes);
    }

    /** Decodes one file, converts it to RGB and writes it resized at {@code dst[off..]}. */
    private void decodeInto(Path file, byte[] dst, int off) {
        BufferedImage img;
        try {
            img = read(file);
        } catch (CilException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new CilException("cannot decode image " + file + ": " + e.getMessage(), e);
        }
        if (img == null) {
            throw new CilException("cannot decode image " + file + ": not a JPEG, PNG or other format ImageIO reads");
        }
        int h = img.getHeight();
        int w = img.getWidth();
        byte[] chw = toRgbChw(img);
        decoded.incrementAndGet();
        if (h == height && w == width) {
            System.arraycopy(chw, 0, dst, off, chw.length);
        } else {
            ImageResize.resizeChw(chw, 0, 3, h, w, dst, off, height, width);
        }
    }

    /**
     * Decodes an image as {@link ImageIO#read} does, but fails where the decoder warns that the
     * file is cut short rather than returning what it could decode.
     *
     * @param file an image file
     * @return the image, or null when no reader recognizes the file
     * @throws IOException when the file cannot be read or decoded
     * @throws CilException naming the file when it is truncated
     */
    private static BufferedImage read(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            return ImageBytes.read(in, "image " + file, Long.MAX_VALUE);
        }
    }

    /**
     * Converts a decoded image to RGB bytes in channel-first order.
     *
     * @param img any image ImageIO produced
     * @return {@code 3 * height * width} bytes
     */
    static byte[] toRgbChw(BufferedImage img) {
        int h = img.getHeight();
        int w = img.getWidth();
        int plane = h * w;
        byte[] out = new byte[3 * plane];
        ColorModel cm = img.getColorModel();
        Raster raster = img.getRaster();
        int csType = cm.getColorSpace().getType();
        if (cm instanceof ComponentColorModel && (csType == ColorSpace.TYPE_GRAY || csType == ColorSpace.TYPE_RGB)) {
            // Raw samples: no color-space conversion (getRGB would brighten linear gray).
            int[] samples = new int[plane];
            int colorBands = csType == ColorSpace.TYPE_GRAY ? 1 : 3;
            for (int b = 0; b < 3; b++) {
                int band = colorBands == 1 ? 0 : b;
                raster.getSamples(0, 0, w, h, band, samples);
                int bits = cm.getComponentSize(band);
                for (int i = 0; i < plane; i++) {
                    int s = samples[i];
                    int v = bits == 8 ? s : bits > 8 ? s >>> (bits - 8) : s * 255 / ((1 << bits) - 1);
                    out[b * plane + i] = (byte) v;
                }
            }
            return out;
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < plane; i++) {
            int p = argb[i];
            out[i] = (byte) (p >>> 16);
            out[plane + i] = (byte) (p >>> 8);
            out[2 * plane + i] = (byte) p;
        }
        return out;
    }
}
