package org.cil4j.eval;

/**
 * Accuracies after one phase, per phase of classes seen so far (in percent), for each
 * classifier.
 *
 * @param cnn task-agnostic: arg-max over all seen classes of the network's output
 * @param taskAware the oracle picks the task's head: arg-max within the sample's own phase
 * @param nme nearest mean of exemplars over all seen classes, or null when the method keeps
 *     no class means
 * @param counts test samples per phase of classes
 * @param top5 task-agnostic top-5 accuracy over all seen classes
 * @param featureNorms mean L2 norm of the features (the classifier's input) of each seen
 *     class's test samples, in incremental class order
 */
public record PhaseEval(
        double[] cnn, double[] taskAware, double[] nme, int[] counts, double top5, double[] featureNorms) {}
