package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import io.soabase.recordbuilder.core.RecordBuilder;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.data.ImageDataset;
import org.cil4j.loss.Distillation;
import org.cil4j.loss.LessForget;
import org.cil4j.loss.MarginRanking;
import org.cil4j.memory.ExemplarMemory;
import org.cil4j.model.Imprinting;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;
import org.cil4j.train.Batch;
import org.cil4j.train.ParamGroup;
import org.cil4j.train.Stage;
import org.cil4j.train.StepLoss;

/**
 * LUCIR (Hou, Pan, Loy, Wang, Lin, Learning a Unified Classifier Incrementally via
 * Rebalancing, CVPR 2019). Cosine normalization (Sec. 3.2) is the model's {@code
 * model.classifier = cosine} with {@code model.lastRelu = false}; for the ablation without it,
 * {@code cosineNormalization = false} runs every other part on a linear classifier (the
 * margin ranking loss then compares logits, the imprinted weights are scaled to the old
 * weights' norm all the same).
 *
 * <p>The base phase trains with cross-entropy on {@code sigma * cos} logits. Each incremental
 * phase, on the new data plus the exemplars:
 * <ul>
 *   <li>imprints the new classes' weights from the normalized mean feature of each new class,
 *       scaled to the mean norm of the old weights ({@link Imprinting}, as the released code
 *       does) and keeps the old classes' weights frozen (the released code gives them a
 *       learning rate of 0);
 *   <li>minimizes cross-entropy over all classes, plus the less-forget constraint {@code
 *       lambda (1 - cos(f_old, f_new))} on every sample with {@code lambda = lambda_base
 *       sqrt(|C_old| / |C_new|)} (eq. 7), plus the margin ranking loss on the old classes'
 *       samples between the ground-truth cosine score and the {@code K} hardest new-class scores
 *       (eq. 8);
 *   <li>then, after choosing the new classes' exemplars by herding, optionally finetunes the
 *       classifier on the class-balanced memory (Sec. 3.4) as the released code does on
 *       ImageNet ({@code cbf_class_incremental_cosine_imagenet.py}, {@code --ft_flag 2}): the
 *       old and new classes' weights train, the backbone (batch norm in inference mode) and
 *       sigma stay frozen, with cross-entropy plus the margin ranking loss (the released code's
 *       less-forget term is constant there, the backbone being frozen, and is left out), the
 *       rate decaying once halfway (20 epochs at 0.01, times 0.1 after 10).
 * </ul>
 * Without the less-forget constraint ({@code lessForget = false}, the "CN" row of Table 3) the
 * old classes' weights train with the rest, and the cosine scores of the old classes are
 * distilled from the old model instead ({@link Distillation#scores}, the released code's {@code
 * --mimic_score}, weight 1). Every part has a switch so that the ablation of Table 3 is a config.
 */
public final class Lucir implements Method {
    /**
     * LUCIR's hyper-parameters.
     *
     * @param cosineNormalization the cosine classifier of Sec. 3.2 (true, the default, needs
     *     {@code model.classifier = cosine} and {@code model.lastRelu = false}); false is the
     *     ablation on a linear classifier ({@code model.classifier = linear})
     * @param memoryPerClass exemplars per class, {@code R_per = 20} (Sec. 4.1)
     * @param memoryBudget total exemplars shared by the seen classes, or 0 (default) for a
     *     fixed number per class
     * @param selection "herding" (Sec. 4.1, after iCaRL) or "random"
     * @param lessForget use the less-forget constraint, with the old classes' weights frozen;
     *     false is the "CN" ablation: the old weights train, and the old classes' cosine scores
     *     are distilled ({@link Distillation#scores})
     * @param lambdaBase {@code lambda_base = 5} for CIFAR-100 (Sec. 4.1; 10 on ImageNet)
     * @param adaptiveLambda scale lambda by {@code sqrt(|C_old| / |C_new|)} (eq. 7); otherwise
     *     {@code lambda = lambda_base}
     * @param marginRanking use the inter-class separation loss
     * @param margin its margin {@code m = 0.5} (Sec. 4.1)
     * @param k its number of hard new classes {@code K = 2} (Sec. 4.1); at most the phase's
     *     new classes are used
     * @param imprint imprint the new classes' weights (released code, {@code --imprint_weights})
     * @param balancedFinetune class-balanced finetuning of the classifier after each
     *     incremental phase (Sec. 3.4); the released code runs it on ImageNet only, not in its
     *     CIFAR-100 recipe
     * @param finetuneEpochs its epochs (the released code's 20; 2 at CPU scale, PROTOCOLS.md
     *     tin100-32-b50)
     * @param finetuneLr its learning rate (0.01, the released code's {@code --ft_base_lr})
     * @param finetuneMilestones its epochs after which the rate is multiplied by {@code
     *     train.gamma}; by default one, halfway ({@code finetuneEpochs / 2}), as the released
     *     code's 10 of 20 ({@code --ft_lr_strat})
     * @param nmeFlip average each exemplar's feature with its mirror's for the class means, as
     *     the released code does
     */
    @RecordBuilder
    public record Params(
            @Default("true") boolean cosineNormalization,
            @Default("" + ExemplarMemory.DEFAULT_PER_CLASS) int memoryPerClass,
            @Default("0") int memoryBudget,
            @Default("herding") String selection,
            @Default("true") boolean lessForget,
            @Default("5") double lambdaBase,
            @Default("true") boolean adaptiveLambda,
            @Default("true") boolean marginRanking,
            @Default("" + MarginRanking.DEFAULT_MARGIN) double margin,
            @Default("" + MarginRanking.DEFAULT_K) int k,
            @Default("true") boolean imprint,
            @Default("true") boolean balancedFinetune,
            @Default("2") int finetuneEpochs,
            @Default("0.01") double finetuneLr,
            List<Integer> finetuneMilestones,
            @Default("true") boolean nmeFlip)
            implements LucirParamsBuilder.With {
        /** Checks the values. */
        public Params {
            ExemplarMemory.Selection.of(selection);
            if (!(lambdaBase >= 0) || Double.isInfinite(lambdaBase)) {
                throw new CilException("lucir lambdaBase must be finite and >= 0, got " + lambdaBase);
            }
            if (!Double.isFinite(margin)) {
                throw new CilException("lucir margin must be finite, got " + margin);
            }
            if (k < 1) {
                throw new CilException("lucir k must be at least 1, got " + k);
            }
            if (finetuneEpochs < 1) {
                throw new CilException("lucir finetuneEpochs must be at least 1, got " + finetuneEpochs);
            }
            if (!(finetuneLr > 0) || Double.isInfinite(finetuneLr)) {
                throw new CilException("lucir finetuneLr must be positive, got " + finetuneLr);
            }
            if (finetuneMilestones == null) {
                finetuneMilestones = finetuneEpochs >= 2 ? List.of(finetuneEpochs / 2) : List.of();
            }
            finetuneMilestones = List.copyOf(finetuneMilestones);
            for (int m : finetuneMilestones) {
                if (m < 1) {
                    throw new CilException("lucir finetuneMilestones must be epochs >= 1, got " + m);
                }
            }
        }
    }

    private final Params params;
    private final MethodState state;

    /** @param params the hyper-parameters */
    public Lucir(Params params) {
        this.params = params;
        state = new MethodState(seed -> new ExemplarMemory(
                params.memoryPerClass(), params.memoryBudget(), ExemplarMemory.Selection.of(params.selection()), seed));
    }

    @Override
    public String name() {
        return "lucir";
    }

    @Override
    public void checkModel(ModelConfig model) {
        boolean cn = params.cosineNormalization();
        if (cn && !model.classifier().equals("cosine")) {
            throw new CilException(
                    "lucir needs model.classifier = cosine (cosine normalization), not '" + model.classifier()
                            + "'; for the ablation without it set method.params.cosineNormalization = false");
        }
        if (cn && model.lastRelu()) {
            throw new CilException("lucir needs model.lastRelu = false (the last ReLU is removed, Sec. 3.2)");
        }
        if (!cn && !model.classifier().equals("linear")) {
            throw new CilException("lucir with cosineNormalization = false needs model.classifier = linear, not "
                    + model.classifier());
        }
    }

    @Override
    public void train(PhaseContext ctx) {
        IncrementalNet net = ctx.net();
        checkModel(net.config());
        int p = ctx.phase();
        if (p == 0) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        if (params.imprint()) {
            imprint(ctx);
        }
        int old = ctx.oldClasses();
        int fresh = ctx.seen() - old;
        double lambda = !params.lessForget()
                ? 0
                : params.adaptiveLambda()
                        ? LessForget.adaptiveLambda(params.lambdaBase(), old, fresh)
                        : params.lambdaBase();
        int k = Math.min(params.k(), fresh);
        IncrementalNet teacher = state.requireOld(ctx);
        ImageDataset data = state.memory(ctx).mix(ctx.phaseData());
        ctx.fit(ctx.stage("train", data, b -> {
                    NDArray f = net.features(b.x(), true);
                    NDArray cos = scores(net, f);
                    StepLoss loss = crossEntropy(ctx, b, cos);
                    NDArray oldFeatures = teacher.features(b.x(), false);
                    if (params.lessForget()) {
                        loss.add("less_forget", LessForget.loss(oldFeatures, f).mul((float) lambda));
                    } else {
                        loss.add(
                                "distillation",
                                Distillation.scores(cos.get(":, :" + old), scores(teacher, oldFeatures)));
                    }
                    return marginRanking(loss, b, cos, old, k);
                })
                .withGroups(List.of(
                        params.lessForget()
                                ? new ParamGroup(
                                        "all-but-old-heads",
                                        n -> !isOldHead(n, p),
                                        ctx.train().lr(),
                                        ctx.train().weightDecay())
                                : new ParamGroup(
                                        "all",
                                        n -> true,
                                        ctx.train().lr(),
                                        ctx.train().weightDecay()))));
    }

    /**
     * The class-balanced finetuning's loss: cross-entropy on the logits of the frozen backbone's
     * features, plus the margin ranking loss as in training (the released code keeps it).
     *
     * @param ctx the phase
     * @return the batch loss
     */
    private Stage.BatchLoss finetuneLoss(PhaseContext ctx) {
        int old = ctx.oldClasses();
        int k = Math.min(params.k(), ctx.seen() - old);
        return b -> {
            NDArray cos = scores(ctx.net(), ctx.net().features(b.x(), false).stopGradient());
            return marginRanking(crossEntropy(ctx, b, cos), b, cos, old, k);
        };
    }

    /**
     * @return the scores the margin ranking loss compares and the distillation pulls together: the
     *     cosines (before sigma), or plain logits without cosine normalization
     */
    private NDArray scores(IncrementalNet network, NDArray features) {
        return params.cosineNormalization() ? network.cosine(features) : network.logits(features);
    }

    /** @return the cross-entropy over all classes seen, on {@code sigma * cos} (or the logits) */
    private StepLoss crossEntropy(PhaseContext ctx, Batch b, NDArray scores) {
        NDArray logits = params.cosineNormalization() ? scores.mul(ctx.net().sigma()) : scores;
        return new StepLoss().add("ce", ctx.classification(b, logits)).accuracyFrom(logits);
    }

    /** @return the loss with the margin ranking term added when it is on */
    private StepLoss marginRanking(StepLoss loss, Batch b, NDArray scores, int old, int k) {
        return params.marginRanking()
                ? loss.add("margin_ranking", MarginRanking.loss(scores, b.y(), old, params.margin(), k))
                : loss;
    }

    /**
     * @param name a parameter name
     * @param phase the current phase
     * @return true for the weights of a head of an earlier phase
     */
    static boolean isOldHead(String name, int phase) {
        for (int h = 0; h < phase; h++) {
            if (name.startsWith(IncrementalNet.headPrefix(h))) {
                return true;
            }
        }
        return false;
    }

    static void imprint(PhaseContext ctx) {
        imprint(ctx, (features, oldRows, c) -> new float[][] {Imprinting.weights(features, oldRows)});
    }

    /** How the rows of one new class are made from its features and the old heads' rows. */
    @FunctionalInterface
    interface ClassImprint {
        /**
         * @param features the class's training features, the network in inference mode
         * @param oldRows every weight row of the old heads, in order
         * @param cls the class's index among the phase's new classes
         * @return its {@code rowsPerClass} rows
         */
        float[][] rows(float[][] features, float[][] oldRows, int cls);
    }

    /**
     * Overwrites the phase's head with rows imprinted from each new class's features (LUCIR's
     * normalized mean, PODNet's k-means proxies).
     *
     * @param ctx the phase (not the first)
     * @param how the rows of one class
     */
    static void imprint(PhaseContext ctx, ClassImprint how) {
        IncrementalNet net = ctx.net();
        int p = ctx.phase();
        int d = net.backbone().featureDim();
        java.util.List<float[]> oldRows = new java.util.ArrayList<>();
        for (int h = 0; h < p; h++) {
            float[] w = net.headWeight(h).toFloatArray();
            for (int r = 0; r < w.length / d; r++) {
                oldRows.add(java.util.Arrays.copyOfRange(w, r * d, (r + 1) * d));
            }
        }
        float[][] oldWeights = oldRows.toArray(new float[0][]);
        ImageDataset data = ctx.phaseData();
        int old = ctx.oldClasses();
        int fresh = ctx.seen() - old;
        int per = net.classifier().rowsPerClass();
        float[] flat = new float[fresh * per * d];
        for (int c = 0; c < fresh; c++) {
            ImageDataset cls = data.subset(data.indicesOf(old + c));
            float[][] rows = how.rows(ctx.features(net, cls, false), oldWeights, c);
            for (int r = 0; r < per; r++) {
                System.arraycopy(rows[r], 0, flat, (c * per + r) * d, d);
            }
        }
        NDArray head = net.headWeight(p);
        try (NDArray imprinted = head.getManager().create(flat, head.getShape())) {
            head.set(new ai.djl.ndarray.index.NDIndex(":"), imprinted); // not set(float[]): see StateReader.copyInto
        }
    }

    @Override
    public void afterPhase(PhaseContext ctx) {
        IncrementalNet net = ctx.net();
        ExemplarMemory memory = state.memory(ctx);
        memory.update(ctx.phaseData(), ctx.oldClasses(), ctx.seen(), d -> ctx.features(net, d, false));
        if (ctx.phase() > 0 && params.balancedFinetune()) {
            // the class weights only: the released code leaves sigma out of the optimizer
            ctx.fit(ctx.stage("balanced-finetune", memory.dataset(), finetuneLoss(ctx))
                    .withGroups(List.of(new ParamGroup(
                            "class-weights",
                            n -> n.startsWith("head."),
                            params.finetuneLr(),
                            ctx.train().weightDecay())))
                    .withSchedule(
                            params.finetuneEpochs(),
                            params.finetuneMilestones(),
                            ctx.train().gamma()));
        }
        state.means(memory.classMeans(d -> ctx.features(net, d, false), params.nmeFlip()));
        state.snapshot(net);
    }

    @Override
    public MethodState state() {
        return state;
    }
}
