package org.cil4j.method;

import java.util.Map;

/**
 * An incremental-learning method: only what differs from plain training. The experiment
 * grows the network's head before each phase and evaluates after it; the trainer runs every
 * loop. A method describes its training stages (what trains, on which data, with which loss)
 * and keeps whatever state it needs between phases (an old model, exemplars).
 */
public interface Method extends AutoCloseable {
    /** @return the method's registry name */
    String name();

    /**
     * Trains the network on the phase, usually by handing one or more stages to
     * {@link PhaseContext#fit}.
     *
     * @param ctx the phase
     */
    void train(PhaseContext ctx);

    /**
     * After training, before evaluation: snapshot an old model, select exemplars, compute
     * class means.
     *
     * @param ctx the phase
     */
    default void afterPhase(PhaseContext ctx) {}

    /**
     * Class means for nearest-mean-of-exemplars classification, or null when the method keeps
     * none.
     *
     * @return L2-normalized mean feature of each class seen so far, incremental order
     */
    default float[][] classMeans() {
        return null;
    }

    /**
     * What the method stores between phases (exemplars, reserved samples), for the results.
     *
     * @return a small map written into results.json, empty when nothing is kept
     */
    default Map<String, Object> memoryReport() {
        return Map.of();
    }

    /** Frees native memory the method holds (old models, experts). */
    @Override
    default void close() {}
}
