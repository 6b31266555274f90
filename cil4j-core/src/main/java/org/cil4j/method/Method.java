package org.cil4j.method;

import java.util.Map;
import org.cil4j.model.IncrementalNet;
import org.cil4j.model.ModelConfig;

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
     * Refuses a model the method cannot train (LUCIR's cosine classifier, WA's linear one),
     * with a message that names the config key to change. The experiment calls it before it
     * loads any data, so a wrong config fails at once; a method also calls it at the start of
     * {@link #train}, for callers that build the phase themselves.
     *
     * @param model the run's model
     */
    default void checkModel(ModelConfig model) {}

    /**
     * Changes the network's structure for a phase, before the phase's head is added: DER adds a
     * backbone. The structure must follow from the phase index alone: a resumed run calls this
     * for every phase before the checkpoint's, adding their heads, and then copies the saved
     * weights in. Most methods keep the network they are given. {@code cil serve} loads a version
     * as one backbone and its heads and never calls this, so a method that grows the network is
     * not among the service's methods ({@code ClassifierSpec.METHODS}).
     *
     * @param net the network after the previous phase
     * @param phase the phase about to run
     */
    default void grow(IncrementalNet net, int phase) {}

    /**
     * Trains the network on the phase, usually by handing one or more stages to
     * {@link PhaseContext#fit}.
     *
     * @param ctx the phase
     */
    void train(PhaseContext ctx);

    /**
     * What the first phase optimizes, for sharing a trained first phase between runs ({@link
     * org.cil4j.experiment.BaseModel}): two methods whose recipes are equal train the same first
     * phase from the same config. Most methods train it with plain cross-entropy.
     *
     * @return a short name of the first phase's loss
     */
    default String baseRecipe() {
        return "cross-entropy";
    }

    /**
     * After training, before evaluation: snapshot an old model, select exemplars, compute
     * class means.
     *
     * @param ctx the phase
     */
    default void afterPhase(PhaseContext ctx) {}

    /**
     * Everything the method keeps between phases (old model, exemplars, class means, and any
     * {@link MethodState.Part} it adds). The experiment saves it into every checkpoint between
     * phases (after {@link #afterPhase} of one phase, before {@link #train} of the next),
     * restores it on a fresh instance when a run resumes, reads the class means and the memory
     * report from it and closes it. A method that keeps nothing keeps the default, an empty state;
     * one that keeps anything returns the same instance on every call ({@code
     * EveryMethodResumesTest} puts every registered method through a crash and a resume).
     *
     * @return the method's state
     */
    default MethodState state() {
        return MethodState.NONE;
    }

    /**
     * Class means for nearest-mean-of-exemplars classification, or null when the method keeps
     * none.
     *
     * @return L2-normalized mean feature of each class seen so far, incremental order
     */
    default float[][] classMeans() {
        return state().means();
    }

    /**
     * What the method stores between phases (exemplars, reserved samples), for the results.
     *
     * @return a small map written into results.json, empty when nothing is kept
     */
    default Map<String, Object> memoryReport() {
        return state().report();
    }

    /** Frees native memory the method holds (old models, experts): its state's, by default. */
    @Override
    default void close() {
        state().close();
    }
}
