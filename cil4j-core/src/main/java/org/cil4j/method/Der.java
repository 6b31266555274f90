package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.loss.CrossEntropy;
import org.cil4j.model.Backbones;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.model.Params;
import org.cil4j.train.ParamGroup;
import org.cil4j.train.StepLoss;
import org.cil4j.util.Rng;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * DER, the dynamically expandable representation (Yan, Xie, He, DER: Dynamically Expandable
 * Representation for Class Incremental Learning, CVPR 2021), as PyCIL's {@code models/der.py}
 * and {@code utils/inc_net.py} ({@code DERNet}) train it.
 *
 * <p>Each phase after the first adds a backbone ({@link IncrementalNet#addBackbone}) that starts
 * from the previous one's weights; the features are the concatenation of all backbones'. The old
 * backbones are frozen (no gradient, batch norm in inference mode, PyCIL's {@code requires_grad =
 * False} and {@code eval()}); the new backbone, the classifier and an auxiliary classifier train.
 * The classifier keeps the old classes' weights on the old feature columns; their new columns
 * and the new classes' rows start fresh. The auxiliary classifier sees only the new backbone's
 * features and has the phase's classes plus one output that stands for every old class; the
 * loss is {@code CE(logits, y) + CE(aux_logits, aux_y)}, {@code aux_y = max(y - old + 1, 0)}
 * (PyCIL's {@code _update_representation}). The data are the new classes' images and the
 * exemplars ({@link ExemplarMethod}, herding as {@link Replay}); the nearest mean of exemplars
 * uses the concatenated features. After training, the new classes' weight rows are scaled to
 * the old rows' mean norm (PyCIL's {@code weight_align}, {@link Wa#align}). The first phase is
 * plain cross-entropy on one backbone, like replay's.
 *
 * <p>Deviations. The paper's channel masks and pruning are omitted, as in PyCIL (its {@code
 * der.py} says the source repository does not implement them), so the network grows by a whole
 * backbone per phase. PyCIL builds a new classifier each phase with Kaiming-uniform weights and
 * zero biases; here the new columns and heads are initialized as every cil4j head is (uniform in
 * {@code +-1/sqrt(features)}, weights and biases), and the auxiliary classifier too. PyCIL's
 * schedule differs from its first phase's (170 epochs, weight decay 2e-4); here every phase
 * follows the run's recipe, as for the other methods. Multi-class only (PyCIL's setting), and the
 * linear classifier (weight aligning scales its rows).
 */
public final class Der extends ExemplarMethod {
    private static final Logger LOG = LoggerFactory.getLogger(Der.class);

    /** Name prefix of the auxiliary classifier's tensors, which live for one phase. */
    static final String AUX = "aux.";

    private final Replay.Params params;
    private NDArray auxWeight;
    private NDArray auxBias;

    /** @param params the memory's size and choice (DER has no other parameter) */
    public Der(Replay.Params params) {
        super(params);
        this.params = params;
    }

    @Override
    public String name() {
        return "der";
    }

    /** @return the hyper-parameters */
    public Replay.Params params() {
        return params;
    }

    /** A new backbone for every phase after the first. */
    @Override
    public void grow(IncrementalNet net, int phase) {
        if (phase > 0) {
            net.addBackbone();
        }
    }

    @Override
    public void checkModel(ModelConfig model) {
        requireLinear(model, "aligns the norms of a linear classifier's weights");
    }

    @Override
    public void train(PhaseContext ctx) {
        IncrementalNet net = ctx.net();
        checkModel(ctx.net().config());
        if (ctx.scenario().multiTask()) {
            throw new CilException("der is a multi-class method (PyCIL's class-incremental setting): it needs "
                    + "scenario.setting = multi-class");
        }
        Backbones backbones = net.backbone();
        if (backbones.size() != ctx.phase() + 1) {
            throw new IllegalStateException("phase " + (ctx.phase() + 1) + " of der needs " + (ctx.phase() + 1)
                    + " backbones, the network has " + backbones.size());
        }
        if (ctx.phase() == 0) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        backbones.freezeFirst(ctx.phase());
        addAux(net, ctx.scenario().size(ctx.phase()) + 1, ctx.seed(), ctx.phase());
        int total = backbones.featureDim();
        int newest = backbones.newestDim();
        int old = ctx.oldClasses();
        ParamGroup trainable = new ParamGroup(
                "new backbone and classifiers",
                n -> !backbones.inFrozenMember(n),
                ctx.train().lr(),
                ctx.train().weightDecay());
        long all = net.params().countParams();
        long frozen = net.params().params().entrySet().stream()
                .filter(e -> backbones.inFrozenMember(e.getKey()))
                .mapToLong(e -> e.getValue().getShape().size())
                .sum();
        LOG.info(
                "der: phase {}: {} backbones, {} of {} parameters train (PyCIL logs the same counts)",
                ctx.phase() + 1,
                backbones.size(),
                all - frozen,
                all);
        ctx.fit(ctx.stage("train", memory(ctx).mix(ctx.phaseData()), b -> {
                    NDArray f = net.features(b.x(), true);
                    NDArray logits = net.logits(f);
                    NDArray aux = Linear.linear(f.get(new NDIndex(":, {}:", total - newest)), auxWeight, auxBias)
                            .head();
                    return loss(logits, ctx.classification(b, logits), aux, b.y(), old);
                })
                .withGroups(List.of(trainable)));
    }

    /** The auxiliary classifier on the newest backbone's features, in the network's tensors while the phase trains. */
    private void addAux(IncrementalNet net, int outputs, long seed, int phase) {
        dropAux(net); // a phase trained again in the same process (the benchmark's repeats) starts afresh
        int dim = net.backbone().newestDim();
        var rnd = Rng.stream(seed, "init-aux", phase);
        double bound = 1 / Math.sqrt(dim);
        auxWeight =
                net.params().param(AUX + "weight", new Shape(outputs, dim), Params.uniform(outputs * dim, bound, rnd));
        auxBias = net.params().param(AUX + "bias", new Shape(outputs), Params.uniform(outputs, bound, rnd));
    }

    /** Removes the auxiliary classifier from the network's tensors, if it is there. */
    private void dropAux(IncrementalNet net) {
        for (String name : List.of(AUX + "weight", AUX + "bias")) {
            if (net.params().params().containsKey(name)) {
                net.params().remove(name);
            }
        }
        auxWeight = null;
        auxBias = null;
    }

    /**
     * DER's loss of a batch after the first phase.
     *
     * @param logits the classifier's logits over the classes seen, (batch, seen)
     * @param classification the cross-entropy on them
     * @param aux the auxiliary classifier's logits, (batch, new classes + 1)
     * @param labels the batch's classes in incremental order
     * @param old the number of old classes
     * @return the terms "ce" and "aux" ({@code CE(aux, max(y - old + 1, 0))}), unweighted
     */
    static StepLoss loss(NDArray logits, NDArray classification, NDArray aux, NDArray labels, int old) {
        if (aux.getShape().get(1) != logits.getShape().get(1) - old + 1) {
            throw new IllegalArgumentException("the auxiliary classifier has "
                    + aux.getShape().get(1) + " outputs for "
                    + (logits.getShape().get(1) - old) + " new classes (it needs one more, for the old classes)");
        }
        NDArray auxTargets = labels.sub(old - 1).maximum(0);
        return new StepLoss()
                .add("ce", classification)
                .add("aux", CrossEntropy.loss(aux, auxTargets))
                .accuracyFrom(logits);
    }

    /** Drops the auxiliary classifier, aligns the new classes' weights, then chooses exemplars. */
    @Override
    public void afterPhase(PhaseContext ctx) {
        if (ctx.phase() > 0) {
            dropAux(ctx.net());
            Wa.align(ctx.net(), ctx.phase());
        }
        super.afterPhase(ctx);
    }
}
