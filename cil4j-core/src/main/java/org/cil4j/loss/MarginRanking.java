package org.cil4j.loss;

import ai.djl.ndarray.NDArray;

/**
 * The inter-class separation term of LUCIR (Hou et al., Learning a Unified Classifier
 * Incrementally via Rebalancing, CVPR 2019): for each sample of an old class (an exemplar),
 * its ground-truth score should exceed each of its {@code K} hardest new-class scores by a
 * margin {@code m}.
 *
 * <p>The loss is the mean over all (old sample, hard negative) pairs of {@code max(0, m -
 * s_gt + s_neg)}, as {@code nn.MarginRankingLoss} computes it in the authors' released code.
 * The paper sets {@link #DEFAULT_K K = 2} and {@link #DEFAULT_MARGIN m = 0.5}.
 */
public final class MarginRanking {
    /** The number of hard negatives per sample used by LUCIR, {@code K = 2}. */
    public static final int DEFAULT_K = 2;

    /** The margin used by LUCIR, {@code m = 0.5}. */
    public static final double DEFAULT_MARGIN = 0.5;

    private MarginRanking() {}

    /**
     * The margin ranking loss over the old-class samples of a batch.
     *
     * <p>Old classes are the indices {@code [0, numOld)} and new classes {@code [numOld,
     * classes)}. Only samples whose label is an old class take part; for each, the {@code k}
     * highest new-class scores are its hard negatives. When no sample of the batch belongs to
     * an old class the result is a scalar zero that is still part of the gradient graph (its
     * gradient is zero).
     *
     * @param scores cosine scores before the scale {@code sigma}, shape (batch, classes)
     * @param labels class indices in [0, classes), int32 or int64, shape (batch)
     * @param numOld the number of old classes, in [0, classes)
     * @param margin the margin {@code m}, finite
     * @param k the number of hard negatives, in [1, classes - numOld]
     * @return a scalar: the mean over pairs of {@code max(0, margin - s_gt + s_neg)}
     * @throws IllegalArgumentException if the shapes disagree or an argument is out of range
     */
    public static NDArray loss(NDArray scores, NDArray labels, int numOld, double margin, int k) {
        Checks.matrix(scores, "scores");
        long classes = scores.getShape().get(1);
        NDArray index = Checks.labels(labels, scores.getShape().get(0), classes);
        if (numOld < 0 || numOld >= classes) {
            throw new IllegalArgumentException("numOld must be in [0, " + classes + "), got " + numOld);
        }
        if (k < 1 || k > classes - numOld) {
            throw new IllegalArgumentException(
                    "k must be in [1, " + (classes - numOld) + "] (the new classes), got " + k);
        }
        if (!Double.isFinite(margin)) {
            throw new IllegalArgumentException("margin must be finite, got " + margin);
        }
        NDArray groundTruth = scores.gather(index, 1); // (batch, 1)
        NDArray hardNegatives =
                scores.get(":, " + numOld + ":").topK(k, 1, true, true).get(0); // (batch, k)
        NDArray hinge = hardNegatives.sub(groundTruth).add((float) margin).maximum(0f);
        NDArray isOld = index.lt(numOld).toType(scores.getDataType(), false); // (batch, 1)
        NDArray pairs = isOld.sum().mul(k).maximum(1f);
        return hinge.mul(isOld).sum().div(pairs);
    }

    /**
     * The margin ranking loss with LUCIR's defaults, {@code m = 0.5} and {@code K = 2}.
     *
     * @param scores cosine scores before the scale {@code sigma}, shape (batch, classes)
     * @param labels class indices in [0, classes), int32 or int64, shape (batch)
     * @param numOld the number of old classes, in [0, classes)
     * @return a scalar, see {@link #loss(NDArray, NDArray, int, double, int)}
     * @throws IllegalArgumentException if the shapes disagree or an argument is out of range
     */
    public static NDArray loss(NDArray scores, NDArray labels, int numOld) {
        return loss(scores, labels, numOld, DEFAULT_MARGIN, DEFAULT_K);
    }
}
