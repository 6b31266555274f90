package org.cil4j.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Map;

/**
 * What one phase did and how well the model did after it.
 *
 * @param phase phase index
 * @param classes classes of the phase
 * @param seen classes seen after it
 * @param trainSamples samples of the phase's classes it trained on (before any memory)
 * @param trainSeconds wall time of training (all stages)
 * @param evalSeconds wall time of evaluation
 * @param peakRssMb peak resident memory of the process during the phase, MiB (-1 if unknown)
 * @param cnn task-agnostic accuracy over all seen classes (percent)
 * @param taskAware task-aware accuracy (the oracle picks the head)
 * @param nme nearest-mean-of-exemplars accuracy, or null
 * @param top5 task-agnostic top-5 accuracy
 * @param oldAccuracy task-agnostic accuracy on classes of earlier phases (NaN in phase 0)
 * @param newAccuracy task-agnostic accuracy on the phase's own classes
 * @param memory what the method stores after the phase
 * @param rssMb resident memory of the process after the phase, MiB (-1 if unknown)
 * @param norms per-class norms of the classifier after the phase, or null (results written
 *     before they were recorded)
 */
public record PhaseResult(
        int phase,
        int classes,
        int seen,
        int trainSamples,
        double trainSeconds,
        double evalSeconds,
        long peakRssMb,
        double cnn,
        double taskAware,
        Double nme,
        double top5,
        Double oldAccuracy,
        double newAccuracy,
        Map<String, Object> memory,
        long rssMb,
        @JsonInclude(JsonInclude.Include.NON_NULL) ClassNorms norms) {

    /**
     * What shows the classifier's bias towards new classes (Hou et al., LUCIR, CVPR 2019, Fig. 2;
     * Wu et al., BiC, CVPR 2019): each seen class's weight-vector norm and the mean norm of its
     * samples' features, in incremental class order.
     *
     * @param weight L2 norm of each class's row of the head weights (before any cosine
     *     normalization)
     * @param feature mean L2 norm of the features of each class's test samples
     */
    public record ClassNorms(double[] weight, double[] feature) {}
}
