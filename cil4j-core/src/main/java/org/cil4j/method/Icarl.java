package org.cil4j.method;

import ai.djl.ndarray.NDArray;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Map;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.data.ImageDataset;
import org.cil4j.loss.IcarlLoss;
import org.cil4j.memory.ExemplarMemory;
import org.cil4j.model.IncrementalNet;
import org.cil4j.train.StepLoss;

/**
 * iCaRL (Rebuffi, Kolesnikov, Sperl, Lampert, iCaRL: Incremental Classifier and Representation
 * Learning, CVPR 2017) and LwF-MC, its "LwF" baseline in the multi-class setting.
 *
 * <p>Each phase trains the whole network on the new data plus the exemplars with {@link
 * IcarlLoss}: sigmoid binary cross-entropy over all classes, whose targets are the previous
 * model's sigmoid outputs on the old classes and one-hot on the new ones (Algorithm 3). After
 * the phase the new classes' exemplars are chosen by herding and the class means are
 * recomputed; classification is by the nearest mean of exemplars (Algorithm 1), reported next
 * to the network's own output. LwF-MC uses the same loss on the new data only, keeps nothing
 * and classifies with the network.
 */
public final class Icarl implements Method {
    /**
     * iCaRL's hyper-parameters.
     *
     * @param memoryPerClass exemplars per class when there is no budget (20, the per-class
     *     memory of LUCIR's protocol, Hou et al. 2019 Sec. 4.1)
     * @param memoryBudget total exemplars shared by all seen classes (iCaRL's K = 2000 on
     *     CIFAR-100, Sec. 4), or 0 for a fixed number per class (the default)
     * @param selection "herding" (iCaRL, Algorithm 4) or "random"
     * @param nmeFlip average each exemplar's feature with its mirror image's when computing
     *     the class means, as the iCaRL and LUCIR released code do
     * @param baseLoss the first phase's loss: "sigmoid-bce" (the paper, Algorithm 3 from the
     *     first phase on) or "cross-entropy" (as PyCIL trains iCaRL's first phase), which lets
     *     iCaRL share a first phase with the methods trained by cross-entropy. Measured on
     *     tin100 (docs/RESULTS.md): after a cross-entropy first phase the sigmoid increments
     *     leave the new classes' logits far below the old ones', so the network's own output
     *     never predicts a new class; the nearest-mean classifier, iCaRL's own, is unaffected
     */
    public record Params(int memoryPerClass, int memoryBudget, String selection, boolean nmeFlip, String baseLoss) {
        /** Reads the record with defaults. */
        @JsonCreator
        public static Params of(
                @JsonProperty("memoryPerClass") Integer memoryPerClass,
                @JsonProperty("memoryBudget") Integer memoryBudget,
                @JsonProperty("selection") String selection,
                @JsonProperty("nmeFlip") Boolean nmeFlip,
                @JsonProperty("baseLoss") String baseLoss) {
            return new Params(memoryPerClass == null ? 20 : memoryPerClass, memoryBudget == null ? 0 : memoryBudget,
                    selection == null ? "herding" : selection, nmeFlip == null || nmeFlip,
                    baseLoss == null ? SIGMOID_BCE : baseLoss);
        }

        /** Checks the values (the memory checks the sizes). */
        public Params {
            ExemplarMemory.Selection.of(selection);
            checkBaseLoss(baseLoss);
        }

        ExemplarMemory memory(long seed) {
            return new ExemplarMemory(memoryPerClass, memoryBudget, ExemplarMemory.Selection.of(selection), seed);
        }
    }

    /**
     * LwF-MC's hyper-parameters.
     *
     * @param baseLoss the first phase's loss, as for iCaRL ({@link Params#baseLoss})
     */
    public record LwfMcParams(String baseLoss) {
        /** Reads the record with defaults. */
        @JsonCreator
        public static LwfMcParams of(@JsonProperty("baseLoss") String baseLoss) {
            return new LwfMcParams(baseLoss == null ? SIGMOID_BCE : baseLoss);
        }

        /** Checks the value. */
        public LwfMcParams {
            checkBaseLoss(baseLoss);
        }
    }

    static final String SIGMOID_BCE = "sigmoid-bce";
    static final String CROSS_ENTROPY = "cross-entropy";

    private static void checkBaseLoss(String baseLoss) {
        if (!SIGMOID_BCE.equals(baseLoss) && !CROSS_ENTROPY.equals(baseLoss)) {
            throw new org.cil4j.CilException("baseLoss must be \"sigmoid-bce\" or \"cross-entropy\", got '" + baseLoss + "'");
        }
    }

    private final Params params;
    private final String baseLoss;
    private final boolean rehearsal;
    private final RehearsalState state = new RehearsalState();

    private Icarl(Params params, String baseLoss, boolean rehearsal) {
        this.params = params;
        this.baseLoss = baseLoss;
        this.rehearsal = rehearsal;
    }

    /**
     * @param params the hyper-parameters
     * @return iCaRL
     */
    public static Icarl icarl(Params params) {
        return new Icarl(params, params.baseLoss(), true);
    }

    /**
     * @param params the hyper-parameters
     * @return LwF-MC: the iCaRL loss without exemplars
     */
    public static Icarl lwfMc(LwfMcParams params) {
        return new Icarl(null, params.baseLoss(), false);
    }

    @Override
    public String name() {
        return rehearsal ? "icarl" : "lwf-mc";
    }

    /** Sigmoid binary cross-entropy from the first phase on (Algorithm 3), unless baseLoss says otherwise. */
    @Override
    public String baseRecipe() {
        return baseLoss;
    }

    private void ensureMemory(PhaseContext ctx) {
        if (rehearsal && state.memory() == null) {
            state.memory(params.memory(ctx.seed()));
        }
    }

    @Override
    public void train(PhaseContext ctx) {
        ensureMemory(ctx);
        if (ctx.phase() == 0 && CROSS_ENTROPY.equals(baseLoss)) {
            ctx.fit(ctx.stage("train", ctx.phaseData(), ctx.classificationLoss(true)));
            return;
        }
        IncrementalNet net = ctx.net();
        int old = ctx.oldClasses();
        IncrementalNet teacher = old == 0 ? null : state.requireOld(ctx);
        ImageDataset data = rehearsal ? state.memory().mix(ctx.phaseData()) : ctx.phaseData();
        ctx.fit(ctx.stage("train", data, b -> {
            NDArray logits = net.logits(net.features(b.x(), true));
            NDArray target = old == 0 ? null : teacher.logits(teacher.features(b.x(), false));
            return new StepLoss().add("bce", IcarlLoss.loss(logits, target, b.y(), old)).accuracyFrom(logits);
        }));
    }

    @Override
    public void afterPhase(PhaseContext ctx) {
        ensureMemory(ctx);
        if (rehearsal) {
            state.memory().update(ctx, ctx.net());
            state.means(state.memory().classMeans(ctx, ctx.net(), params.nmeFlip()));
        }
        state.snapshot(ctx.net());
    }

    @Override
    public void saveState(StateWriter w) {
        state.save(w);
    }

    @Override
    public void loadState(StateReader r, PhaseContext ctx) {
        state.load(r, ctx, rehearsal ? params.memory(ctx.seed()) : null);
    }

    @Override
    public float[][] classMeans() {
        return state.means();
    }

    @Override
    public Map<String, Object> memoryReport() {
        return state.report();
    }

    @Override
    public void close() {
        state.close();
    }
}
