package org.cil4j.method;

import io.soabase.recordbuilder.core.RecordBuilder;
import org.cil4j.memory.ExemplarMemory;

/**
 * Replay (experience replay with exemplars), the rehearsal baseline every class-incremental
 * paper reports, as PyCIL's {@code models/replay.py} trains it (FACIL's {@code
 * approach/finetuning.py} with exemplars is the same): each phase trains the whole network on
 * the new data plus the exemplars with the plain cross-entropy over every class seen so far (the
 * task-masked cross-entropy in the multi-task setting), nothing else. After each phase the new
 * classes' exemplars are chosen ({@link ExemplarMemory}, as iCaRL's) and the class means of the
 * exemplars are computed, so the nearest mean of exemplars is reported next to the network's
 * output, as PyCIL does for every method with a memory (its means: no mirrored images).
 */
public final class Replay extends ExemplarMethod {
    /**
     * The memory's size and choice, shared by the methods whose only parameters they are.
     *
     * @param memoryPerClass exemplars per class when there is no budget ({@link
     *     ExemplarMemory#DEFAULT_PER_CLASS}, 20)
     * @param memoryBudget total exemplars shared by the seen classes, {@code floor(memoryBudget
     *     / seen)} each (PyCIL's {@code memory_size = 2000} with {@code fixed_memory = false}),
     *     or 0 (the default) for a fixed number per class
     * @param selection "herding" (PyCIL's, iCaRL's Algorithm 4) or "random"
     */
    @RecordBuilder
    public record Params(
            @Default("" + ExemplarMemory.DEFAULT_PER_CLASS) int memoryPerClass,
            @Default("0") int memoryBudget,
            @Default("herding") String selection)
            implements ReplayParamsBuilder.With {
        /** Checks the values (an empty memory is built once to check the sizes). */
        public Params {
            new ExemplarMemory(memoryPerClass, memoryBudget, ExemplarMemory.Selection.of(selection), 0);
        }

        /**
         * @param seed the master seed
         * @return an empty memory of these sizes
         */
        ExemplarMemory memory(long seed) {
            return new ExemplarMemory(memoryPerClass, memoryBudget, ExemplarMemory.Selection.of(selection), seed);
        }
    }

    private final Params params;

    /** @param params the hyper-parameters */
    public Replay(Params params) {
        super(params);
        this.params = params;
    }

    @Override
    public String name() {
        return "replay";
    }

    /** @return the hyper-parameters */
    public Params params() {
        return params;
    }

    @Override
    public void train(PhaseContext ctx) {
        ctx.fit(ctx.stage("train", memory(ctx).mix(ctx.phaseData()), ctx.classificationLoss(true)));
    }
}
