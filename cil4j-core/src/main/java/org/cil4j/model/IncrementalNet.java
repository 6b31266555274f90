package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.cil4j.util.Rng;

/**
 * A backbone and a classifier that grows by phase: one head per phase (or task), each with its
 * own weights. Class {@code k} of the incremental order is output {@code k} of the
 * concatenated heads, so the same network serves both settings: the multi-class classifier is
 * the concatenation, the multi-task classifier picks one head.
 *
 * <p>The backbone is one network, or several side by side whose features are concatenated
 * after {@link #addBackbone} (DER). Adding a head never touches existing weights. How the heads
 * make logits is the {@link Classifier} of {@code model.classifier}: linear, LUCIR's cosine
 * normalization ({@code sigma * cos(feature, weight)}, Hou et al. 2019, eq. 4), or PODNet's local
 * similarity classifier (several weight vectors per class).
 */
public final class IncrementalNet implements AutoCloseable {
    private final ModelConfig config;
    private final int inChannels;
    private final int imageSize;
    private final long seed;
    private final Params params;
    private final Backbones backbone;
    private final List<Integer> headSizes = new ArrayList<>();
    private final List<NDArray> weights = new ArrayList<>();
    private final List<NDArray> biases = new ArrayList<>();
    private final Classifier classifier;

    private IncrementalNet(ModelConfig config, int inChannels, int imageSize, long seed, NDManager manager) {
        this.config = config;
        this.inChannels = inChannels;
        this.imageSize = imageSize;
        this.seed = seed;
        this.params = new Params(manager);
        backbone = new Backbones(buildBackbone(0));
        classifier = Classifier.create(config.classifier(), params);
    }

    /** Builds member {@code index} of the backbone, its tensors named {@link Backbones#prefix}. */
    private Backbone buildBackbone(int index) {
        // the first member's stream is the one every network has always used
        var rnd = index == 0 ? Rng.stream(seed, "init-backbone") : Rng.stream(seed, "init-backbone", index);
        String name = Backbones.name(index);
        String arch = config.arch();
        if (arch.equals("small-cnn")) {
            return new SmallCnn(params, name, inChannels, imageSize, config.lastRelu(), rnd);
        } else if (arch.equals("resnet18")) {
            return ResNet.resnet18(params, name, inChannels, imageSize, config.lastRelu(), rnd);
        }
        int depth = Integer.parseInt(arch.substring("resnet".length()));
        return ResNet.cifar(params, name, inChannels, depth, config.lastRelu(), rnd);
    }

    /**
     * Adds a backbone beside the existing ones (DER's expansion, PyCIL's {@code
     * DERNet.update_fc}): the new member starts from the newest member's weights, the features
     * become the concatenation of all members', and every head gains the new member's feature
     * columns, freshly initialized as a head is ({@link #addHead}); the existing columns keep
     * their weights and the biases are unchanged.
     *
     * @return the new member's index
     */
    public int addBackbone() {
        int index = backbone.size();
        int oldDim = backbone.featureDim();
        Backbone member = buildBackbone(index);
        String from = Backbones.prefix(index - 1);
        String to = Backbones.prefix(index);
        Map<String, NDArray> all = params.all();
        for (Map.Entry<String, NDArray> e : all.entrySet()) {
            if (e.getKey().startsWith(to)) {
                e.getValue().set(new NDIndex(":"), all.get(from + e.getKey().substring(to.length())));
            }
        }
        backbone.add(member);
        int dim = backbone.featureDim();
        var rnd = Rng.stream(seed, "init-head-columns", index);
        double bound = 1 / Math.sqrt(dim);
        for (int h = 0; h < weights.size(); h++) {
            int rows = (int) weights.get(h).getShape().get(0);
            float[] old = weights.get(h).toFloatArray();
            float[] fresh = Params.uniform(rows * (dim - oldDim), bound, rnd);
            float[] grown = new float[rows * dim];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(old, r * oldDim, grown, r * dim, oldDim);
                System.arraycopy(fresh, r * (dim - oldDim), grown, r * dim + oldDim, dim - oldDim);
            }
            weights.set(h, params.replace(headPrefix(h) + "weight", new Shape(rows, dim), grown));
        }
        return index;
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
    public static IncrementalNet create(
            ModelConfig config, int inChannels, int imageSize, long seed, NDManager parent) {
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
        int rows = numClasses * classifier.rowsPerClass();
        weights.add(params.param(name + ".weight", new Shape(rows, d), Params.uniform(rows * d, bound, rnd)));
        if (classifier.hasBias()) {
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
     * The features and each backbone stage's output, in one pass with the same numbers as
     * {@link #features} (PODNet's spatial distillation reads the stages).
     *
     * @param x normalized images
     * @param training batch-norm in training mode
     * @return the stage outputs and the features
     * @throws IllegalStateException when the backbone has several members (DER)
     */
    public Backbone.Stages featuresAndStages(NDArray x, boolean training) {
        return backbone.forwardStages(x, training);
    }

    /**
     * @param features backbone output
     * @return logits of all heads, concatenated in class order
     */
    public NDArray logits(NDArray features) {
        if (headSizes.isEmpty()) {
            throw new IllegalStateException("the network has no head yet");
        }
        return classifier.logits(features, weights, biases);
    }

    /**
     * Cosine similarities between features and every class weight, before the scale (the
     * scores LUCIR's margin ranking loss uses). Only for the cosine classifier.
     *
     * @param features backbone output
     * @return (batch, classes)
     */
    public NDArray cosine(NDArray features) {
        if (!classifier.name().equals("cosine")) {
            throw new IllegalStateException("cosine scores need model.classifier = cosine");
        }
        return classifier.similarities(features, weights);
    }

    /**
     * The classifier's scores before its learnable scale: cosines for the cosine classifier,
     * the local similarities of PODNet's. Not for the linear classifier.
     *
     * @param features backbone output
     * @return (batch, classes)
     */
    public NDArray similarities(NDArray features) {
        return classifier.similarities(features, weights);
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

    /** @return the backbone: one member, or several side by side after {@link #addBackbone} */
    public Backbones backbone() {
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
     * @return its weight matrix, (classes * {@link Classifier#rowsPerClass()}, featureDim)
     */
    public NDArray headWeight(int head) {
        return weights.get(head);
    }

    /** @return the learnable scale of the cosine and local similarity classifiers, or null */
    public NDArray sigma() {
        return classifier.scale();
    }

    /** @return how the heads make logits ({@code model.classifier}) */
    public Classifier classifier() {
        return classifier;
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
        IncrementalNet copy = new IncrementalNet(
                config,
                inChannels,
                imageSize,
                seed,
                params.manager().getParentManager().newSubManager());
        while (copy.backbone.size() < backbone.size()) {
            copy.addBackbone();
        }
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
