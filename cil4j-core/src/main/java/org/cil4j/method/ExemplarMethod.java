package org.cil4j.method;

import java.util.Map;
import org.cil4j.checkpoint.StateReader;
import org.cil4j.checkpoint.StateWriter;
import org.cil4j.memory.ExemplarMemory;

/**
 * What the methods built on replay share ({@link Replay}, {@link Wa}): the exemplar memory, the
 * class means of the nearest mean of exemplars and, for those that distill, the old model, kept
 * in one {@link RehearsalState} that is saved, loaded and closed here, so a method that adds to
 * replay cannot forget to checkpoint what it keeps. After each phase the new classes' exemplars
 * are chosen and the class means recomputed.
 */
abstract class ExemplarMethod implements Method {
    private final Replay.Params memoryParams;
    /** The memory, the class means, and the old model of the methods that distill. */
    final RehearsalState state = new RehearsalState();

    /** @param memoryParams the memory's size and choice */
    ExemplarMethod(Replay.Params memoryParams) {
        this.memoryParams = memoryParams;
    }

    /**
     * @param ctx the phase
     * @return the memory, created empty in the first phase
     */
    final ExemplarMemory memory(PhaseContext ctx) {
        if (state.memory() == null) {
            state.memory(memoryParams.memory(ctx.seed()));
        }
        return state.memory();
    }

    /** Chooses the phase's exemplars and recomputes the class means with the network as trained. */
    @Override
    public void afterPhase(PhaseContext ctx) {
        ExemplarMemory memory = memory(ctx);
        memory.update(ctx.phaseData(), ctx.oldClasses(), ctx.seen(), d -> ctx.features(ctx.net(), d, false));
        state.means(memory.classMeans(d -> ctx.features(ctx.net(), d, false), false));
    }

    @Override
    public final void saveState(StateWriter w) {
        state.save(w);
    }

    @Override
    public final void loadState(StateReader r, PhaseContext ctx) {
        state.load(r, ctx, memoryParams.memory(ctx.seed()));
    }

    @Override
    public final float[][] classMeans() {
        return state.means();
    }

    @Override
    public final Map<String, Object> memoryReport() {
        return state.report();
    }

    @Override
    public final void close() {
        state.close();
    }
}
