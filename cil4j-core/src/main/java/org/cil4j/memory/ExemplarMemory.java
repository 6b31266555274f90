package org.cil4j.memory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.cil4j.CilException;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.data.ImageDataset;
import org.cil4j.util.Rng;

/**
 * The exemplar memory of rehearsal methods (iCaRL, LUCIR): a few stored training images of
 * every class seen so far.
 *
 * <p>Two policies decide how many images a class keeps: a fixed number per class ({@code
 * perClass}; 20 is LUCIR's {@code R_per}, Hou et al. CVPR 2019, Sec. 4.1), or a fixed total
 * {@code budget} shared by all seen classes (iCaRL's {@code K = 2000}, Rebuffi et al. CVPR 2017,
 * Algorithms 2 and 5), so old classes give up images as new ones arrive. With a budget each of
 * {@code t} seen classes keeps {@code floor(budget / t)}, as PyCIL does ({@code
 * models/base.py}, {@code memory_size // total_classes}), so the total never exceeds the budget
 * (2000 over 30 classes: 66 each, 1980 in all). FACIL ({@code exemplars_selection.py}) and the
 * released iCaRL code round up instead ({@code ceil}: 67 each, 2010 in all). Every method with
 * exemplars (iCaRL, LUCIR) takes its quota from here. The images of a class are chosen once,
 * after the phase that
 * brought it, by herding ({@link Herding}, on L2-normalized features) or at random (the
 * seed's "exemplars" stream); both produce a ranking, and shrinking keeps its prefix.
 *
 * <p>This class is also the one place where exemplars are mixed into a phase's training data
 * ({@link #mix}) and where the nearest-mean-of-exemplars class means are computed ({@link
 * #classMeans}), so every rehearsal method shares the same code.
 *
 * <p>The memory knows nothing of phases or networks: callers hand it the images, the class
 * range and a feature function (images to one feature row per image), so it can be used and
 * tested without a trainer.
 */
public final class ExemplarMemory {
    /** How exemplars are chosen. */
    public enum Selection {
        /** iCaRL's herding on L2-normalized features (Algorithm 4). */
        HERDING,
        /** A uniformly random subset, from the seed's "exemplars" stream. */
        RANDOM;

        /**
         * @param name "herding" or "random"
         * @return the selection
         */
        public static Selection of(String name) {
            return switch (name) {
                case "herding" -> HERDING;
                case "random" -> RANDOM;
                default -> throw new CilException("memory selection must be herding or random, not '" + name + "'");
            };
        }
    }

    /**
     * Exemplars per class when there is no budget: LUCIR's {@code R_per = 20} (Hou et al. 2019,
     * Sec. 4.1), PyCIL's {@code memory_per_class} in its experiment files.
     */
    public static final int DEFAULT_PER_CLASS = 20;

    private final int perClass;
    private final int budget;
    private final Selection selection;
    private final long seed;
    /** Stored images of each class in incremental order, in ranking order (best first). */
    private final List<ImageDataset> classes = new ArrayList<>();
    /** For each class, the indices of its stored images within its training images. */
    private final List<int[]> rankings = new ArrayList<>();

    /**
     * @param perClass images per class (used when {@code budget} is 0), at least 1 then
     * @param budget total images shared by all seen classes, or 0 for a fixed number per class
     * @param selection herding or random
     * @param seed master seed (random selection draws from its "exemplars" stream)
     */
    public ExemplarMemory(int perClass, int budget, Selection selection, long seed) {
        if (budget < 0) {
            throw new CilException("memoryBudget must be >= 0 (0: a fixed number per class), got " + budget);
        }
        if (budget == 0 && perClass < 1) {
            throw new CilException("memoryPerClass must be at least 1 when there is no memoryBudget, got " + perClass);
        }
        this.perClass = perClass;
        this.budget = budget;
        this.selection = selection;
        this.seed = seed;
    }

    /**
     * How many images each class keeps once {@code seen} classes are stored.
     *
     * @param seen classes seen so far, at least 1
     * @return {@code perClass}, or {@code floor(budget / seen)} with a budget
     * @throws CilException naming {@code memoryBudget} when the budget is smaller than the
     *     number of classes, which would leave classes without exemplars (FACIL refuses it too)
     */
    public int quota(int seen) {
        if (budget == 0) {
            return perClass;
        }
        if (budget < seen) {
            throw new CilException("memoryBudget " + budget + " is smaller than the " + seen + " classes seen: floor("
                    + budget + " / " + seen + ") = 0 exemplars per class");
        }
        return budget / Math.max(1, seen);
    }

    /** @return the selection rule */
    public Selection selection() {
        return selection;
    }

    /**
     * Chooses the exemplars of the phase's new classes with the network as trained in this
     * phase, then shrinks the old classes to the new quota.
     *
     * @param phaseData the training images of the phase just trained
     * @param oldClasses classes seen before that phase (the first new class)
     * @param seen classes seen after it
     * @param features the network's features of some images, one row per image (inference
     *     mode, no flip); called only for herding
     */
    public void update(ImageDataset phaseData, int oldClasses, int seen, Function<ImageDataset, float[][]> features) {
        int quota = quota(seen);
        for (int c = oldClasses; c < seen; c++) {
            ImageDataset classData = phaseData.subset(phaseData.indicesOf(c));
            add(c, classData, selection == Selection.HERDING ? features.apply(classData) : null, quota);
        }
        shrink(seen);
    }

    /**
     * Stores the exemplars of one new class.
     *
     * @param cls the class, the next one in incremental order
     * @param classData the training images of that class (all labelled {@code cls})
     * @param features one feature row per image (herding), or null for random selection
     * @param m how many to keep
     */
    public void add(int cls, ImageDataset classData, float[][] features, int m) {
        if (cls != classes.size()) {
            throw new IllegalStateException(
                    "exemplars of class " + cls + " added after " + classes.size() + " classes");
        }
        int[] ranking;
        if (selection == Selection.HERDING) {
            if (features == null || features.length != classData.size()) {
                throw new IllegalArgumentException("herding needs one feature row per image of class " + cls);
            }
            ranking = Herding.select(features, m);
        } else {
            int[] all = new int[classData.size()];
            for (int i = 0; i < all.length; i++) {
                all[i] = i;
            }
            Rng.shuffle(all, Rng.stream(seed, "exemplars", cls));
            ranking = Arrays.copyOf(all, Math.min(m, all.length));
        }
        classes.add(classData.subset(ranking));
        rankings.add(ranking);
    }

    /**
     * Reduces every class to the quota for {@code seen} classes by keeping the first images of
     * its ranking (iCaRL, Algorithm 5). Does nothing without a budget.
     *
     * @param seen classes seen so far
     */
    public void shrink(int seen) {
        int q = quota(seen);
        for (int c = 0; c < classes.size(); c++) {
            ImageDataset d = classes.get(c);
            if (d.size() > q) {
                int[] prefix = new int[q];
                for (int i = 0; i < q; i++) {
                    prefix[i] = i;
                }
                classes.set(c, d.subset(prefix));
                rankings.set(c, Arrays.copyOf(rankings.get(c), q));
            }
        }
    }

    /**
     * Saves the choice of exemplars: for each class, the indices of its stored images among
     * its training images (all training images labelled with the class, in dataset order).
     *
     * @param w the checkpoint writer
     * @param prefix entry name prefix, e.g. "memory."
     */
    public void save(StateWriter w, String prefix) {
        for (int c = 0; c < rankings.size(); c++) {
            w.putInts(prefix + "class." + c, rankings.get(c));
        }
    }

    /** Turns the positions a checkpoint stored for a class back into its images. */
    @FunctionalInterface
    public interface StoredSamples {
        /**
         * @param name the entry the positions were saved under
         * @param cls the class
         * @return the images at those positions among the class's training images, in the
         *     stored order
         */
        ImageDataset get(String name, int cls);
    }

    /**
     * Restores what {@link #save} wrote into an empty memory.
     *
     * @param r the checkpoint reader
     * @param prefix the prefix used when saving
     * @param stored resolves each class's saved positions to images (and validates them)
     */
    public void load(StateReader r, String prefix, StoredSamples stored) {
        if (!classes.isEmpty()) {
            throw new IllegalStateException("load into a memory that holds exemplars");
        }
        for (int c = 0; r.has(prefix + "class." + c); c++) {
            classes.add(stored.get(prefix + "class." + c, c));
            rankings.add(r.ints(prefix + "class." + c));
        }
    }

    /** @return the number of classes stored */
    public int numClasses() {
        return classes.size();
    }

    /**
     * @param cls a stored class
     * @return its exemplars, best first
     */
    public ImageDataset exemplars(int cls) {
        return classes.get(cls);
    }

    /** @return the number of stored images */
    public int size() {
        return classes.stream().mapToInt(ImageDataset::size).sum();
    }

    /** @return every stored image, class by class (empty list of classes: null) */
    public ImageDataset dataset() {
        return classes.isEmpty() ? null : join("exemplars", classes);
    }

    /**
     * The training data of a rehearsal phase: the phase's images followed by all exemplars.
     *
     * @param phaseData the new classes' training images
     * @return {@code phaseData} plus the exemplars, or {@code phaseData} itself when the memory
     *     is empty
     */
    public ImageDataset mix(ImageDataset phaseData) {
        if (classes.isEmpty()) {
            return phaseData;
        }
        List<ImageDataset> parts = new ArrayList<>();
        parts.add(phaseData);
        parts.addAll(classes);
        return join(phaseData.name(), parts);
    }

    /**
     * Nearest-mean-of-exemplars class means (iCaRL, Algorithm 1): for each stored class, the
     * mean of its exemplars' L2-normalized features, itself L2-normalized. With {@code flip},
     * each image's normalized feature is averaged with that of its horizontal mirror first, as
     * the iCaRL and LUCIR released code compute them.
     *
     * @param features the network's features of some images, one row per image (inference
     *     mode, no flip)
     * @param flip also use the mirrored images
     * @return one mean per stored class, incremental order
     */
    public float[][] classMeans(Function<ImageDataset, float[][]> features, boolean flip) {
        float[][] means = new float[classes.size()][];
        for (int c = 0; c < classes.size(); c++) {
            ImageDataset d = classes.get(c);
            means[c] = mean(features.apply(d), flip ? features.apply(flipped(d)) : null);
        }
        return means;
    }

    /**
     * Refuses a config that sets both sizes: with a budget, a per-class number would be ignored
     * without a word.
     *
     * @param memoryPerClass the per-class number as given, or null
     * @param memoryBudget the total as given, or null
     */
    public static void checkOneSize(Integer memoryPerClass, Integer memoryBudget) {
        if (memoryPerClass != null && memoryBudget != null && memoryBudget > 0) {
            throw new org.cil4j.CilException(
                    "method.params: give memoryPerClass (" + memoryPerClass + " exemplars per class) or memoryBudget ("
                            + memoryBudget + " shared by all classes seen), not both");
        }
    }

    /**
     * The normalized mean of normalized rows, optionally averaged row by row with a second set.
     *
     * @param features one row per image
     * @param mirrored the rows of the mirrored images, or null
     * @return the L2-normalized mean
     */
    public static float[] mean(float[][] features, float[][] mirrored) {
        int dim = features[0].length;
        double[] sum = new double[dim];
        for (int i = 0; i < features.length; i++) {
            addNormalized(sum, features[i], mirrored == null ? 1 : 0.5);
            if (mirrored != null) {
                addNormalized(sum, mirrored[i], 0.5);
            }
        }
        double norm = 0;
        for (double v : sum) {
            norm += v * v;
        }
        norm = Math.sqrt(norm);
        float[] out = new float[dim];
        for (int d = 0; d < dim; d++) {
            out[d] = norm > 0 ? (float) (sum[d] / norm) : 0f;
        }
        return out;
    }

    private static void addNormalized(double[] sum, float[] row, double weight) {
        double n = 0;
        for (float v : row) {
            n += (double) v * v;
        }
        n = Math.sqrt(n);
        if (n > 0) {
            for (int d = 0; d < row.length; d++) {
                sum[d] += weight * row[d] / n;
            }
        }
    }

    /**
     * What the memory holds, for the results.
     *
     * @return policy, samples per class (incremental order), total samples and bytes (pixels
     *     plus 4-byte labels)
     */
    public Map<String, Object> report() {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("selection", selection.name().toLowerCase(java.util.Locale.ROOT));
        if (budget > 0) {
            r.put("budget", budget);
        } else {
            r.put("perClass", perClass);
        }
        int[] counts = classes.stream().mapToInt(ImageDataset::size).toArray();
        r.put("samplesPerClass", counts);
        r.put("samples", size());
        long bytes = 0;
        for (ImageDataset d : classes) {
            bytes += (long) d.pixels().length + 4L * d.size();
        }
        r.put("bytes", bytes);
        return r;
    }

    /**
     * Joins datasets that share one label space (unlike {@link ImageDataset#concat}, labels are
     * kept as they are).
     *
     * @param name name of the result
     * @param parts datasets with the same image shape and class names
     * @return all images, part after part
     */
    public static ImageDataset join(String name, List<ImageDataset> parts) {
        ImageDataset first = parts.get(0);
        int total = 0;
        for (ImageDataset d : parts) {
            if (d.channels() != first.channels()
                    || d.height() != first.height()
                    || d.width() != first.width()
                    || !d.classNames().equals(first.classNames())) {
                throw new IllegalArgumentException(
                        "cannot join " + d.name() + " with " + first.name() + ": image shapes or class names differ");
            }
            total += d.size();
        }
        int sz = first.imageSize();
        byte[] px = new byte[total * sz];
        int[] lb = new int[total];
        int pos = 0;
        for (ImageDataset d : parts) {
            System.arraycopy(d.pixels(), 0, px, pos * sz, d.size() * sz);
            System.arraycopy(d.labels(), 0, lb, pos, d.size());
            pos += d.size();
        }
        return new ImageDataset(name, px, lb, first.channels(), first.height(), first.width(), first.classNames());
    }

    /**
     * @param d images
     * @return the same images mirrored left to right
     */
    public static ImageDataset flipped(ImageDataset d) {
        byte[] src = d.pixels();
        byte[] px = new byte[src.length];
        int w = d.width();
        int rows = src.length / w;
        for (int r = 0; r < rows; r++) {
            int o = r * w;
            for (int x = 0; x < w; x++) {
                px[o + x] = src[o + w - 1 - x];
            }
        }
        return new ImageDataset(d.name(), px, d.labels(), d.channels(), d.height(), d.width(), d.classNames());
    }
}
