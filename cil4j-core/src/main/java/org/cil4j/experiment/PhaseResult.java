package org.cil4j.experiment;

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
 */
public record PhaseResult(
        int phase, int classes, int seen, int trainSamples, double trainSeconds, double evalSeconds, long peakRssMb,
        double cnn, double taskAware, Double nme, double top5, Double oldAccuracy, double newAccuracy,
        Map<String, Object> memory, long rssMb) {}
