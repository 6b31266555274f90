package org.cil4j.experiment;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import org.cil4j.eval.AccuracyMatrix;

/**
 * The content of {@code results.json}: enough to read every number of a run and to run it
 * again. {@code complete} is false until the last phase is evaluated; a result with
 * {@code complete = false} is a run that stopped (or is still running).
 *
 * @param format file format tag
 * @param complete true once every phase is done
 * @param config the resolved configuration
 * @param methodParams every parameter the method ran with, defaults included ({@link
 *     Methods#resolvedParams}); absent from results written before it was recorded
 * @param scenario the class order and phases actually used
 * @param provenance code, engine and machine
 * @param phases per-phase results
 * @param cnn accuracy matrix of the task-agnostic classifier
 * @param taskAware accuracy matrix of the task-aware classifier
 * @param nme accuracy matrix of nearest-mean-of-exemplars, or null
 * @param summary the headline numbers
 * @param wallSeconds total wall time so far
 */
public record RunResult(
        String format,
        boolean complete,
        ExperimentConfig config,
        JsonNode methodParams,
        ScenarioInfo scenario,
        Provenance provenance,
        List<PhaseResult> phases,
        AccuracyMatrix cnn,
        AccuracyMatrix taskAware,
        AccuracyMatrix nme,
        Summary summary,
        double wallSeconds) {

    /** The format tag of this version. */
    public static final String FORMAT = "cil4j-result/1";

    /**
     * The scenario as run.
     *
     * @param setting multi-class or multi-task
     * @param order dataset label of each incremental class
     * @param phaseSizes classes per phase
     * @param classNames names in incremental order
     */
    public record ScenarioInfo(String setting, int[] order, int[] phaseSizes, List<String> classNames) {}

    /**
     * Headline numbers (percent). "primary" is the setting's own metric: task-agnostic CNN
     * accuracy for multi-class, task-aware for multi-task.
     *
     * @param primary which classifier the setting reads: "cnn" or "taskAware"
     * @param averageIncremental average incremental accuracy of the primary classifier
     * @param last accuracy after the last phase done
     * @param forgetting average forgetting of the primary classifier
     * @param backwardTransfer backward transfer of the primary classifier
     * @param averageIncrementalCnn the same for CNN
     * @param averageIncrementalTaskAware the same for task-aware
     * @param averageIncrementalNme the same for NME, or null
     */
    public record Summary(
            String primary,
            double averageIncremental,
            double last,
            double forgetting,
            double backwardTransfer,
            double averageIncrementalCnn,
            double averageIncrementalTaskAware,
            Double averageIncrementalNme) {}
}
