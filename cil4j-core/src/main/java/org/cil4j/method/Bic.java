package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.cil4j.CilException;
import org.cil4j.data.ImageDataset;
import org.cil4j.loss.Distillation;
import org.cil4j.memory.ExemplarMemory;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.scenario.Scenario;
import org.cil4j.train.ParamGroup;
import org.cil4j.train.StepLoss;
import org.cil4j.util.Rng;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * BiC, bias correction (Wu, Chen, Wang, Ye, Liu, Guo, Fu, Large Scale Incremental Learning, CVPR
 * 2019), as PyCIL's {@code models/bic.py} trains it, with FACIL's {@code approach/bic.py} where
 * PyCIL departs from the paper.
 *
 * <p>The first phase is plain cross-entropy. In each later phase, as PyCIL's {@code
 * get_dataset_with_split}: {@code v = floor(valFraction * q)} images of every class are held out,
 * {@code q} being the exemplars each old class keeps ({@code split_ratio * memory_size /
 * known_classes}), drawn at random (the seed's "bic-validation" stream) from each old class's
 * exemplars and from each new class's training images. Stage 1 trains the whole network on the
 * rest (new images plus exemplars) with {@code (1 - lambda) CE + lambda KD}, {@code lambda = old /
 * seen} and PyCIL's {@code _KD_loss} at {@code T = 2} against the old model (the loss WA shares,
 * {@link ExemplarMethod#distillationLoss}). Stage 2 trains a bias layer, two scalars {@code alpha}
 * (from 1) and {@code beta} (from 0) that map the new classes' logits {@code z} to {@code alpha z
 * + beta}, on the held-out images of all seen classes (class-balanced), everything else frozen,
 * with the paper's loss, the cross-entropy over the corrected logits (eq. 5), plus FACIL's {@code
 * 0.1 * beta^2 / 2} from the original code; {@code biasEpochs} epochs (FACIL's 200) at {@code
 * train.lr} with the run's momentum and no weight decay, the network in inference mode (FACIL's
 * {@code model.eval()}). After each phase the exemplars are chosen from all the phase's images
 * and the model is kept as the teacher (as {@link Replay}, {@link ExemplarMethod}).
 *
 * <p>Deviations. The bias layer is folded into the new head once trained: its weights become
 * {@code alpha W} and its biases {@code alpha b + beta}, which gives exactly the corrected logits,
 * so evaluation, the old model, serving and checkpoints all see the corrected network and each
 * earlier phase's correction stays applied. PyCIL and FACIL keep the layers as separate frozen
 * modules; the difference shows only in later training, where a folded head's rows take
 * gradient steps {@code alpha^2} times those of PyCIL's unfolded ones. PyCIL's stage 2 takes the
 * cross-entropy of the softmax of the logits (a double softmax) and runs the network in training
 * mode, so its batch-norm statistics move on the held-out images; this follows the paper and
 * FACIL. Each phase's {@code (alpha, beta)} is kept with the method's state and reported in the
 * results as {@code biasLayers} (the first phase's is the identity). Needs the linear
 * classifier.
 */
public final class Bic extends ExemplarMethod {
    private static final Logger LOG = LoggerFactory.getLogger(Bic.class);
    /** The bias layer's parameters, in the network only during stage 2. */
    static final String ALPHA = "bic.alpha";

    static final String BETA = "bic.beta";
    /** The original code's L2 penalty on beta (FACIL: {@code 0.1 * beta^2 / 2}). */
    static final double BETA_PENALTY = 0.1;

    private static final String HISTORY = "biasLayers";

    /**
     * BiC's hyper-parameters.
     *
     * @param memoryPerClass exemplars per class without a budget ({@link Replay.Params}), held-out
     *     ones included
     * @param memoryBudget total exemplars shared by the seen classes, or 0 ({@link Replay.Params})
     * @param selection "herding" or "random"
     * @param temperature the distillation's temperature, the paper's and PyCIL's {@code T = 2}
     * @param valFraction the share of each class's exemplars held out to train the bias layer,
     *     the paper's 9:1 split (PyCIL's {@code split_ratio = 0.1}), in (0, 1)
     * @param biasEpochs epochs of stage 2, FACIL's 200 (the original code's 2 x 100)
     */
    @RecordBuilder
    public record Params(
            @Default("" + ExemplarMemory.DEFAULT_PER_CLASS) int memoryPerClass,
            @Default("0") int memoryBudget,
            @Default("herding") String selection,
            @Default("" + Distillation.DEFAULT_TEMPERATURE) double temperature,
            @Default("0.1") double valFraction,
            @Default("200") int biasEpochs)
            implements BicParamsBuilder.With {
        /** Checks the values. */
        public Params {
            new Replay.Params(memoryPerClass, memoryBudget, selection);
            if (!(temperature > 0) || Double.isInfinite(temperature)) {
                throw new CilException("bic temperature must be positive and finite, got " + temperature);
            }
            if (!(valFraction > 0 && valFraction < 1)) {
                throw new CilException(
                        "bic valFraction (the share of exemplars held out for the bias layer) must be in "
                                + "(0, 1), got " + valFraction);
            }
            if (biasEpochs < 1) {
                throw new CilException("bic biasEpochs must be at least 1, got " + biasEpochs);
            }
        }

        Replay.Params memory() {
            return new Replay.Params(memoryPerClass, memoryBudget, selection);
        }

        /**
         * @param perClass exemplars each old class keeps
         * @return the images held out of each class, {@code floor(valFraction * perClass)}
         */
        int heldOut(int perClass) {
            return (int) Math.floor(valFraction * perClass + 1e-9);
        }
    }

    private final Params params;
    /** The bias layer trained in this phase, kept with the state after it. */
    private float[] trained;

    /** @param params the hyper-parameters */
    public Bic(Params params) {
        super(params.memory());
        this.params = params;
    }

    @Override
    public String name() {
        return "bic";
    }

    /** @return the hyper-parameters */
    public Params params() {
        return params;
    }

    @Override
    public void checkModel(ModelConfig model) {
        requireLinear(model, "corrects the new classes' logits of a linear classifier");
    }

    @Override
    public void train(PhaseContext ctx) {
        checkModel(ctx.net().config());
        ExemplarMemory memory = memory(ctx);
        checkHeldOut(ctx.scenario(), memory);
        if (ctx.phase() == 0) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        int v = params.heldOut(memory.quota(ctx.oldClasses()));
        ImageDataset[] split = split(ctx, memory, v);
        ctx.fit(ctx.stage("train", split[0], distillation(ctx, params.temperature(), Weighing.LAMBDA)));
        float[] ab = trainBiasLayer(ctx, split[1]);
        fold(ctx.net(), ctx.phase(), ab[0], ab[1]);
        LOG.info(
                "bic: phase {}: bias layer alpha = {}, beta = {} on {} held-out images",
                ctx.phase() + 1,
                String.format("%.4f", ab[0]),
                String.format("%.4f", ab[1]),
                split[1].size());
        trained = ab;
    }

    /** Fails before training when some later phase would hold out no image of a class. */
    private void checkHeldOut(Scenario scenario, ExemplarMemory memory) {
        for (int p = 1; p < scenario.numPhases(); p++) {
            int q = memory.quota(scenario.start(p));
            if (params.heldOut(q) < 1) {
                throw new CilException("bic valFraction " + params.valFraction() + " of the " + q
                        + " exemplars per class in phase " + (p + 1) + " holds out no image for the bias layer: raise "
                        + "valFraction or the memory (memoryPerClass, memoryBudget)");
            }
        }
    }

    /**
     * Holds out {@code v} images of every seen class, as PyCIL's {@code get_dataset_with_split}.
     *
     * @return the training images of stage 1 (the new classes' kept images, then the old
     *     classes' kept exemplars) and the held-out images of stage 2
     */
    private ImageDataset[] split(PhaseContext ctx, ExemplarMemory memory, int v) {
        List<ImageDataset> train = new ArrayList<>();
        List<ImageDataset> held = new ArrayList<>();
        ImageDataset data = ctx.phaseData();
        List<Integer> kept = new ArrayList<>();
        for (int c = ctx.oldClasses(); c < ctx.seen(); c++) {
            int[] idx = data.indicesOf(c);
            int[][] parts = holdOut(idx.length, v, Rng.stream(ctx.seed(), "bic-validation", ctx.phase(), c), c);
            held.add(data.subset(pick(idx, parts[0])));
            for (int i : parts[1]) {
                kept.add(idx[i]);
            }
        }
        train.add(data.subset(kept.stream().mapToInt(Integer::intValue).sorted().toArray()));
        for (int c = 0; c < ctx.oldClasses(); c++) {
            ImageDataset ex = memory.exemplars(c);
            int[][] parts = holdOut(ex.size(), v, Rng.stream(ctx.seed(), "bic-validation", ctx.phase(), c), c);
            held.add(ex.subset(parts[0]));
            train.add(ex.subset(parts[1]));
        }
        return new ImageDataset[] {ExemplarMemory.join(data.name(), train), ExemplarMemory.join("bic-validation", held)
        };
    }

    /**
     * @param n images of a class
     * @param v how many to hold out
     * @param rnd the class's stream
     * @param cls the class, for the message
     * @return the held-out positions and the kept ones, each ascending
     */
    static int[][] holdOut(int n, int v, SplittableRandom rnd, int cls) {
        if (v >= n) {
            throw new CilException("bic: class " + cls + " has " + n + " images to train on, too few to hold out " + v
                    + " for the bias layer and keep any (lower valFraction)");
        }
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        Rng.shuffle(all, rnd);
        int[] h = Arrays.copyOf(all, v);
        int[] k = Arrays.copyOfRange(all, v, n);
        Arrays.sort(h);
        Arrays.sort(k);
        return new int[][] {h, k};
    }

    private static int[] pick(int[] values, int[] positions) {
        int[] out = new int[positions.length];
        for (int i = 0; i < positions.length; i++) {
            out[i] = values[positions[i]];
        }
        return out;
    }

    /**
     * Stage 2: trains {@code alpha} and {@code beta}, two parameters added to the network for
     * this stage only (so the trainer can train them and a checkpoint inside the stage holds
     * them), everything else frozen.
     *
     * @return alpha and beta as trained
     */
    private float[] trainBiasLayer(PhaseContext ctx, ImageDataset held) {
        IncrementalNet net = ctx.net();
        int old = ctx.oldClasses();
        NDArray alpha = net.params().param(ALPHA, new Shape(1), new float[] {1f});
        NDArray beta = net.params().param(BETA, new Shape(1), new float[] {0f});
        try {
            ctx.fit(ctx.stage("bias", held, b -> {
                        NDManager step = b.manager();
                        NDArray a = step.zeros(alpha.getShape()).add(alpha);
                        NDArray c = step.zeros(beta.getShape()).add(beta);
                        NDArray corrected =
                                correct(net.logits(net.features(b.x(), false)).stopGradient(), old, a, c);
                        return biasLoss(corrected, ctx.classification(b, corrected), c);
                    })
                    .withGroups(List.of(new ParamGroup(
                            "bias", n -> n.startsWith("bic."), ctx.train().lr(), 0)))
                    .withSchedule(params.biasEpochs(), List.of(), 1));
            return new float[] {alpha.getFloat(), beta.getFloat()};
        } finally {
            net.params().remove(ALPHA);
            net.params().remove(BETA);
        }
    }

    /**
     * The bias layer (the paper's eq. 4): the old classes' logits as they are, the new classes'
     * scaled and shifted.
     *
     * @param logits (batch, seen)
     * @param old the old classes, the first columns
     * @param alpha the scale, shape (1)
     * @param beta the shift, shape (1)
     * @return the corrected logits
     */
    static NDArray correct(NDArray logits, int old, NDArray alpha, NDArray beta) {
        int seen = (int) logits.getShape().get(1);
        NDArray fresh =
                HeadDistillation.slice(logits, old, seen - old).mul(alpha).add(beta);
        return NDArrays.concat(new NDList(HeadDistillation.slice(logits, 0, old), fresh), 1);
    }

    /**
     * Stage 2's loss: the cross-entropy on the corrected logits and FACIL's penalty {@code 0.1 *
     * beta^2 / 2}.
     *
     * @param corrected the corrected logits
     * @param classification the setting's cross-entropy on them
     * @param beta the shift, shape (1)
     * @return the terms "ce" and "beta_l2"
     */
    static StepLoss biasLoss(NDArray corrected, NDArray classification, NDArray beta) {
        NDArray penalty = beta.square().sum().mul((float) (BETA_PENALTY / 2));
        return new StepLoss().add("ce", classification).add("beta_l2", penalty).accuracyFrom(corrected);
    }

    /**
     * Folds a trained bias layer into its head: weights {@code alpha W}, biases {@code alpha b +
     * beta}, whose logits are the corrected ones.
     *
     * @param net the network
     * @param head the head the layer corrects
     * @param alpha the scale
     * @param beta the shift
     */
    static void fold(IncrementalNet net, int head, float alpha, float beta) {
        net.headWeight(head).muli(alpha);
        net.params()
                .params()
                .get(IncrementalNet.headPrefix(head) + "bias")
                .muli(alpha)
                .addi(beta);
    }

    /**
     * Keeps the phase's bias layer (the identity in the first phase), chooses exemplars (as
     * replay) and keeps the model, corrected, as the next teacher.
     */
    @Override
    public void afterPhase(PhaseContext ctx) {
        float[][] old = state.rows(HISTORY);
        float[][] rows = old == null ? new float[1][] : Arrays.copyOf(old, old.length + 1);
        rows[rows.length - 1] = ctx.phase() == 0 ? new float[] {1f, 0f} : trained;
        state.rows(HISTORY, rows);
        trained = null;
        super.afterPhase(ctx);
        state.snapshot(ctx.net());
    }
}
