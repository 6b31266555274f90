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
     */
    public record Params(int memoryPerClass, int memoryBudget, String selection, boolean nmeFlip) {
        /** Reads the record with defaults. */
        @JsonCreator
        public static Params of(
                @JsonProperty("memoryPerClass") Integer memoryPerClass,
                @JsonProperty("memoryBudget") Integer memoryBudget,
                @JsonProperty("selection") String selection,
                @JsonProperty("nmeFlip") Boolean nmeFlip) {
            return new Params(memoryPerClass == null ? 20 : memoryPerClass, memoryBudget == null ? 0 : memoryBudget,
                    selection == null ? "herding" : selection, nmeFlip == null || nmeFlip);
        }

        /** Checks the values (the memory checks the sizes). */
        public Params {
            ExemplarMemory.Selection.of(selection);
        }

        ExemplarMemory memory(long seed) {
            return new ExemplarMemory(memoryPerClass, memoryBudget, ExemplarMemory.Selection.of(selection), seed);
        }
    }

    private final Params params;
    private final boolean rehearsal;
    private final RehearsalState state = new RehearsalState();

    private Icarl(Params params, boolean rehearsal) {
        this.params = params;
        this.rehearsal = rehearsal;
    }

    /**
     * @param params the hyper-parameters
     * @return iCaRL
     */
    public static Icarl icarl(Params params) {
        return new Icarl(params, true);
    }

    /** @return LwF-MC: the iCaRL loss without exemplars */
    public static Icarl lwfMc() {
        return new Icarl(null, false);
    }

    @Override
    public String name() {
        return rehearsal ? "icarl" : "lwf-mc";
    }

    /** Sigmoid binary cross-entropy from the first phase on (Algorithm 3). */
    @Override
    public String baseRecipe() {
        return "sigmoid-bce";
    }

    private void ensureMemory(PhaseContext ctx) {
        if (rehearsal && state.memory() == null) {
            state.memory(params.memory(ctx.seed()));
        }
    }

    @Override
    public void train(PhaseContext ctx) {
        ensureMemory(ctx);
        IncrementalNet net = ctx.net();
        int old = ctx.oldClasses();
        IncrementalNet teacher = state.old();
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
