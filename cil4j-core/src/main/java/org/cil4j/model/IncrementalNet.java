package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.cil4j.util.Rng;

/**
 * A backbone and a classifier that grows by phase: one head per phase (or task), each with its
 * own weights. Class {@code k} of the incremental order is output {@code k} of the
 * concatenated heads, so the same network serves both settings: the multi-class classifier is
 * the concatenation, the multi-task classifier picks one head.
 *
 * <p>Adding a head never touches existing weights. With {@code classifier = cosine} each head
 * holds class weight vectors and the logits are {@code sigma * cos(feature, weight)} with one
 * learnable {@code sigma} (Hou et al. 2019, eq. 4).
 */
public final class IncrementalNet implements AutoCloseable {
    private final ModelConfig config;
    private final int inChannels;
    private final int imageSize;
    private final long seed;
    private final Params params;
    private final Backbone backbone;
    private final List<Integer> headSizes = new ArrayList<>();
    private final List<NDArray> weights = new ArrayList<>();
    private final List<NDArray> biases = new ArrayList<>();
    private final NDArray sigma;

    private IncrementalNet(ModelConfig config, int inChannels, int imageSize, long seed, NDManager manager) {
        this.config = config;
        this.inChannels = inChannels;
        this.imageSize = imageSize;
        this.seed = seed;
        this.params = new Params(manager);
        var rnd = Rng.stream(seed, "init-backbone");
        String arch = config.arch();
        if (arch.equals("small-cnn")) {
            backbone = new SmallCnn(params, "backbone", inChannels, imageSize, config.lastRelu(), rnd);
        } else if (arch.equals("resnet18")) {
            backbone = ResNet.resnet18(params, "backbone", inChannels, imageSize, config.lastRelu(), rnd);
        } else {
            int depth = Integer.parseInt(arch.substring("resnet".length()));
            backbone = ResNet.cifar(params, "backbone", inChannels, depth, config.lastRelu(), rnd);
        }
        sigma = config.cosine() ? params.param("sigma", new Shape(1), new float[] {1f}) : null;
    }

    /**
     * Builds a network without heads.
     *
     * @param config architecture and classifier
     * @param inChannels image channels
     * @param imageSize image side
     * @param seed master seed; initial weights depend only on it (stream "init-*")
     * @param parent manager under which the network's own manager is created
     * @return the network
     */
    public static IncrementalNet create(ModelConfig config, int inChannels, int imageSize, long seed, NDManager parent) {
        return new IncrementalNet(config, inChannels, imageSize, seed, parent.newSubManager());
    }

    /**
     * Adds a head for the next phase. Existing weights are not changed.
     *
     * @param numClasses classes of the new phase
     * @return the index of the new head
     */
    public int addHead(int numClasses) {
        if (numClasses <= 0) {
            throw new IllegalArgumentException("a head needs at least one class");
        }
        int index = headSizes.size();
        var rnd = Rng.stream(seed, "init-head", index);
        int d = backbone.featureDim();
        double bound = 1 / Math.sqrt(d);
        String name = "head." + index;
        weights.add(params.param(name + ".weight", new Shape(numClasses, d), Params.uniform(numClasses * d, bound, rnd)));
        if (!config.cosine()) {
            biases.add(params.param(name + ".bias", new Shape(numClasses), Params.uniform(numClasses, bound, rnd)));
        }
        headSizes.add(numClasses);
        return index;
    }

    /**
     * @param x normalized images
     * @param training batch-norm in training mode
     * @return features, (batch, featureDim)
     */
    public NDArray features(NDArray x, boolean training) {
        return backbone.forward(x, training);
    }

    /**
     * @param features backbone output
     * @return logits of all heads, concatenated in class order
     */
    public NDArray logits(NDArray features) {
        if (headSizes.isEmpty()) {
            throw new IllegalStateException("the network has no head yet");
        }
        if (config.cosine()) {
            return cosine(features).mul(sigma);
        }
        NDList parts = new NDList();
        for (int i = 0; i < weights.size(); i++) {
            parts.add(Linear.linear(features, weights.get(i), biases.get(i)).head());
        }
        return parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
    }

    /**
     * Cosine similarities between features and every class weight, before the scale (the
     * scores LUCIR's margin ranking loss uses). Only for the cosine classifier.
     *
     * @param features backbone output
     * @return (batch, classes)
     */
    public NDArray cosine(NDArray features) {
        if (!config.cosine()) {
            throw new IllegalStateException("cosine scores need model.classifier = cosine");
        }
        // step-local views of the weights first: an op's result lives in its first operand's
        // manager, and results in the parameters' manager would outlive the step
        NDList local = new NDList();
        for (NDArray w : weights) {
            local.add(features.getManager().zeros(w.getShape()).add(w));
        }
        NDArray w = local.size() == 1 ? local.head() : NDArrays.concat(local, 0);
        NDArray fn = l2normalize(features);
        NDArray wn = l2normalize(w);
        return fn.matMul(wn.transpose());
    }

    /**
     * Normalizes rows to unit L2 norm.
     *
     * @param a (rows, columns)
     * @return the normalized rows
     */
    public static NDArray l2normalize(NDArray a) {
        return a.div(a.norm(new int[] {1}, true).maximum(1e-12f));
    }

    /** @return the backbone */
    public Backbone backbone() {
        return backbone;
    }

    /** @return the tensors of the network */
    public Params params() {
        return params;
    }

    /** @return the architecture and classifier */
    public ModelConfig config() {
        return config;
    }

    /** @return classes per head, in order */
    public List<Integer> headSizes() {
        return Collections.unmodifiableList(headSizes);
    }

    /** @return the number of heads */
    public int numHeads() {
        return headSizes.size();
    }

    /** @return the total number of classes over all heads */
    public int numClasses() {
        return headSizes.stream().mapToInt(Integer::intValue).sum();
    }

    /**
     * @param head head index
     * @return the first class index of that head
     */
    public int headOffset(int head) {
        int o = 0;
        for (int i = 0; i < head; i++) {
            o += headSizes.get(i);
        }
        return o;
    }

    /**
     * @param head head index
     * @return its weight matrix, (classes, featureDim)
     */
    public NDArray headWeight(int head) {
        return weights.get(head);
    }

    /** @return the learnable scale of the cosine classifier, or null */
    public NDArray sigma() {
        return sigma;
    }

    /** @return the name prefix of a head's tensors, e.g. "head.2." */
    public static String headPrefix(int head) {
        return "head." + head + ".";
    }

    /**
     * A copy with the same structure and values, in its own manager, with no gradient
     * tracking: the "old model" of distillation methods.
     *
     * @return the copy; close it when done
     */
    public IncrementalNet frozenCopy() {
        IncrementalNet copy = new IncrementalNet(config, inChannels, imageSize, seed,
                params.manager().getParentManager().newSubManager());
        for (int size : headSizes) {
            copy.addHead(size);
        }
        copy.params.copyFrom(params);
        copy.params.setTrainable(n -> false);
        return copy;
    }

    /** @return input channels */
    public int inChannels() {
        return inChannels;
    }

    /** @return input side */
    public int imageSize() {
        return imageSize;
    }

    @Override
    public void close() {
        params.close();
    }
}
