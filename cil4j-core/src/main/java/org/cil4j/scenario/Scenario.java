package org.cil4j.scenario;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.cil4j.CilException;
import org.cil4j.data.ImageDataset;
import org.cil4j.util.Rng;

/**
 * A resolved scenario: the class order and the classes of each phase. Class {@code k} of the
 * incremental order is dataset label {@code order()[k]}; phase {@code p} holds the contiguous
 * incremental classes {@code [start(p), start(p) + size(p))}.
 */
public final class Scenario {
    private final int[] order;
    private final int[] sizes;
    private final int[] starts;
    private final boolean multiTask;
    private final List<String> classNames;

    /**
     * @param order dataset label of each incremental class
     * @param sizes classes per phase (sum = order length)
     * @param multiTask the multi-task setting
     * @param classNames names in incremental order
     */
    public Scenario(int[] order, int[] sizes, boolean multiTask, List<String> classNames) {
        this.order = order.clone();
        this.sizes = sizes.clone();
        this.multiTask = multiTask;
        this.classNames = List.copyOf(classNames);
        this.starts = new int[sizes.length];
        int s = 0;
        for (int p = 0; p < sizes.length; p++) {
            starts[p] = s;
            s += sizes[p];
        }
        if (s != order.length) {
            throw new IllegalArgumentException(
                    "phase sizes sum to " + s + " but the order has " + order.length + " classes");
        }
    }

    /**
     * Resolves a configuration against a dataset's number of classes.
     *
     * @param cfg the configuration
     * @param datasetClasses classes in the dataset
     * @param datasetNames class names of the dataset, by label
     * @return the scenario
     */
    public static Scenario of(ScenarioConfig cfg, int datasetClasses, List<String> datasetNames) {
        int[] full;
        if (!cfg.order().isEmpty()) {
            full = cfg.order().stream().mapToInt(Integer::intValue).toArray();
            ClassOrder.validate(full, datasetClasses);
        } else {
            full = ClassOrder.shuffled(datasetClasses, cfg.orderSeed());
        }
        int used = cfg.classes() == 0 ? datasetClasses : cfg.classes();
        if (used > datasetClasses) {
            throw new CilException(
                    "scenario.classes is " + used + " but the dataset has only " + datasetClasses + " classes");
        }
        int[] sizes;
        if (!cfg.phases().isEmpty()) {
            sizes = cfg.phases().stream().mapToInt(Integer::intValue).toArray();
            int sum = Arrays.stream(sizes).sum();
            if (cfg.classes() == 0) {
                used = sum;
            }
            if (sum != used) {
                throw new CilException("scenario.phases " + cfg.phases() + " add up to " + sum + " classes, but " + used
                        + " classes are used (scenario.classes)");
            }
            if (sum > datasetClasses) {
                throw new CilException(
                        "scenario.phases add up to " + sum + " classes but the dataset has only " + datasetClasses);
            }
        } else {
            int base = cfg.base() == 0 ? cfg.increment() : cfg.base();
            if (base > used) {
                throw new CilException(
                        "scenario.base is " + base + " classes but only " + used + " classes are available"
                                + (used < datasetClasses ? " (scenario.classes)" : " in the dataset"));
            }
            if ((used - base) % cfg.increment() != 0) {
                throw new CilException("scenario: after a base of " + base + " classes, the remaining " + (used - base)
                        + " classes do not divide into increments of " + cfg.increment()
                        + "; change scenario.increment or scenario.classes, or list scenario.phases");
            }
            int n = 1 + (used - base) / cfg.increment();
            sizes = new int[n];
            sizes[0] = base;
            Arrays.fill(sizes, 1, n, cfg.increment());
        }
        int[] order = Arrays.copyOf(full, used);
        List<String> names = new ArrayList<>();
        for (int l : order) {
            names.add(datasetNames.get(l));
        }
        return new Scenario(order, sizes, cfg.multiTask(), names);
    }

    /** @return the number of phases */
    public int numPhases() {
        return sizes.length;
    }

    /** @return the number of classes over all phases */
    public int numClasses() {
        return order.length;
    }

    /** @return dataset label of each incremental class */
    public int[] order() {
        return order.clone();
    }

    /** @return classes per phase */
    public int[] phaseSizes() {
        return sizes.clone();
    }

    /**
     * @param phase phase index
     * @return its first incremental class
     */
    public int start(int phase) {
        return starts[phase];
    }

    /**
     * @param phase phase index
     * @return its number of classes
     */
    public int size(int phase) {
        return sizes[phase];
    }

    /**
     * @param phase phase index
     * @return classes seen after that phase
     */
    public int seen(int phase) {
        return starts[phase] + sizes[phase];
    }

    /**
     * @param cls incremental class
     * @return the phase that brought it
     */
    public int phaseOf(int cls) {
        for (int p = sizes.length - 1; p >= 0; p--) {
            if (cls >= starts[p]) {
                return p;
            }
        }
        throw new IllegalArgumentException("class " + cls);
    }

    /** @return true in the multi-task setting */
    public boolean multiTask() {
        return multiTask;
    }

    /** @return class names in incremental order */
    public List<String> classNames() {
        return Collections.unmodifiableList(classNames);
    }

    /**
     * The additive mask that restricts each sample to its own task's outputs.
     *
     * @param labels incremental labels
     * @param classes number of outputs
     * @return row-major (labels.length, classes) floats: 0 inside the task, -1e9 outside
     */
    public float[] taskMask(int[] labels, int classes) {
        float[] m = new float[labels.length * classes];
        Arrays.fill(m, -1e9f);
        for (int i = 0; i < labels.length; i++) {
            int p = phaseOf(labels[i]);
            Arrays.fill(m, i * classes + starts[p], i * classes + Math.min(classes, starts[p] + sizes[p]), 0f);
        }
        return m;
    }

    /**
     * Keeps the classes of the scenario and relabels them in incremental order, optionally at
     * most {@code perClass} images per class (chosen with the seed's "subsample" stream).
     *
     * @param data a dataset with its own labels
     * @param perClass the limit, 0 for none
     * @param seed master seed
     * @return the relabelled subset, class by class in incremental order
     */
    public ImageDataset relabel(ImageDataset data, int perClass, long seed) {
        List<int[]> perLabel = new ArrayList<>();
        int[] inc = new int[data.numClasses()];
        Arrays.fill(inc, -1);
        for (int k = 0; k < order.length; k++) {
            inc[order[k]] = k;
        }
        int total = 0;
        for (int k = 0; k < order.length; k++) {
            int[] idx = data.indicesOf(order[k]);
            if (perClass > 0 && idx.length > perClass) {
                Rng.shuffle(idx, new SplittableRandom(Rng.seed(seed, "subsample", order[k], data.size())));
                idx = Arrays.copyOf(idx, perClass);
                Arrays.sort(idx);
            }
            perLabel.add(idx);
            total += idx.length;
        }
        int[] all = new int[total];
        int pos = 0;
        for (int[] idx : perLabel) {
            System.arraycopy(idx, 0, all, pos, idx.length);
            pos += idx.length;
        }
        ImageDataset sub = data.subset(all);
        int[] labels = new int[total];
        for (int i = 0; i < total; i++) {
            labels[i] = inc[sub.label(i)];
        }
        return new ImageDataset(
                data.name(), sub.pixels(), labels, sub.channels(), sub.height(), sub.width(), classNames);
    }

    /**
     * @param data relabelled data
     * @param phase phase index
     * @return the samples of that phase's classes
     */
    public ImageDataset phaseData(ImageDataset data, int phase) {
        return select(data, starts[phase], starts[phase] + sizes[phase]);
    }

    /**
     * @param data relabelled data
     * @param phase phase index
     * @return the samples of all classes seen up to that phase
     */
    public ImageDataset seenData(ImageDataset data, int phase) {
        return select(data, 0, seen(phase));
    }

    private static ImageDataset select(ImageDataset data, int from, int to) {
        int[] idx = java.util.stream.IntStream.range(0, data.size())
                .filter(i -> data.label(i) >= from && data.label(i) < to)
                .toArray();
        return data.subset(idx);
    }
}
