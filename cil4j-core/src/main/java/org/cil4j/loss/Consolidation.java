package org.cil4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.List;

/**
 * The regularization of EWC and MAS: a quadratic penalty that holds each parameter near its
 * value after the previous phase, weighted by how important it was, and the losses whose
 * gradients measure that importance. As FACIL computes them ({@code src/approach/ewc.py} and
 * {@code mas.py}: {@code criterion}, {@code compute_fisher_matrix_diag}, {@code
 * estimate_parameter_importance}, {@code post_train_process}).
 */
public final class Consolidation {
    private Consolidation() {}

    /**
     * The penalty {@code sum_n sum Omega_n * (theta_n - theta*_n)^2 / 2} over parameter tensors
     * (EWC, Kirkpatrick et al. 2017, eq. 3; MAS, Aljundi et al. 2018, eq. 3; FACIL divides by 2
     * in both), before the weight {@code lambda}.
     *
     * @param into the manager the result and its temporaries live in (a step's manager: the
     *     parameters' own manager would keep every step's temporaries)
     * @param params the current parameters {@code theta}
     * @param anchors their values after the previous phase {@code theta*}, same shapes; constants
     * @param importance {@code Omega}, same shapes; constants
     * @return a scalar
     * @throws IllegalArgumentException if the lists' lengths or the shapes differ, or the lists
     *     are empty
     */
    public static NDArray penalty(
            NDManager into, List<NDArray> params, List<NDArray> anchors, List<NDArray> importance) {
        if (params.isEmpty() || params.size() != anchors.size() || params.size() != importance.size()) {
            throw new IllegalArgumentException("penalty over " + params.size() + " parameters, " + anchors.size()
                    + " anchors and " + importance.size() + " importances");
        }
        NDArray sum = null;
        for (int i = 0; i < params.size(); i++) {
            same(params.get(i), "params[" + i + "]", anchors.get(i), "anchors[" + i + "]");
            same(params.get(i), "params[" + i + "]", importance.get(i), "importance[" + i + "]");
            NDArray diff = params.get(i).sub(anchors.get(i).stopGradient());
            diff.attach(into);
            NDArray term = diff.square().mul(importance.get(i).stopGradient()).sum();
            sum = sum == null ? term : sum.add(term);
        }
        return sum.div(2f);
    }

    /**
     * The loss whose squared gradients are EWC's empirical Fisher information: the cross-entropy
     * of the outputs toward the labels (FACIL's {@code fi_sampling_type = 'true'}) or toward the
     * network's own prediction, the arg-max of the outputs ({@code 'max_pred'}, FACIL's default).
     *
     * @param logits all outputs, (batch, classes)
     * @param labels class indices, or null for the arg-max
     * @return the batch mean
     */
    public static NDArray fisher(NDArray logits, NDArray labels) {
        return CrossEntropy.loss(
                logits, labels != null ? labels : logits.stopGradient().argMax(1));
    }

    /**
     * The loss whose gradients' magnitudes are MAS's importance: the L2 norm of each sample's
     * outputs, averaged over the batch. FACIL computes exactly this ({@code
     * torch.norm(outputs, p=2, dim=1).mean()}); the paper's text (Sec. 4, "the squared L2 norm")
     * and its released code square the norm, which doubles the gradient and weights it by the
     * norm: a scale that FACIL's {@code lamb = 1} is tuned to its own form.
     *
     * @param logits all outputs, (batch, classes)
     * @return the batch mean of {@code ||logits_i||_2}
     */
    public static NDArray outputNorm(NDArray logits) {
        Checks.matrix(logits, "logits");
        return logits.norm(new int[] {1}).mean();
    }

    /**
     * Adds one batch's share of an importance estimate: {@code sum += g^2 * n} (EWC) or {@code
     * sum += |g| * n} (MAS), {@code g} the gradient of the batch's mean loss and {@code n} the
     * batch's size. Dividing the sum by the number of samples (FACIL: batches times the batch
     * size) gives the estimate.
     *
     * @param sum the running sum, updated in place
     * @param gradient a batch's gradient, same shape
     * @param batchSize samples in the batch
     * @param squared true for EWC's {@code g^2}, false for MAS's {@code |g|}
     */
    public static void accumulate(NDArray sum, NDArray gradient, int batchSize, boolean squared) {
        same(sum, "sum", gradient, "gradient");
        try (NDArray f = squared ? gradient.square() : gradient.abs();
                NDArray weighted = f.mul((float) batchSize)) {
            sum.addi(weighted);
        }
    }

    /**
     * Merges the importance of the phase just trained into the kept one, in place: {@code kept =
     * alpha * kept + (1 - alpha) * current} (FACIL's {@code post_train_process}, default {@code
     * alpha = 0.5}). FACIL starts from zeros, so after the first phase the kept importance is
     * {@code (1 - alpha)} times the first estimate.
     *
     * @param kept the importance kept so far, updated in place
     * @param current this phase's estimate, same shape
     * @param alpha the weight of the kept importance, in [0, 1]
     */
    public static void merge(NDArray kept, NDArray current, double alpha) {
        same(kept, "kept", current, "current");
        try (NDArray fresh = current.mul((float) (1 - alpha))) {
            kept.muli((float) alpha).addi(fresh);
        }
    }

    /** Like {@link Checks#sameShape} for tensors of any rank (parameters are not matrices). */
    private static void same(NDArray a, String aName, NDArray b, String bName) {
        if (!a.getShape().equals(b.getShape())) {
            throw new IllegalArgumentException(aName + " and " + bName + " must have the same shape, got "
                    + a.getShape() + " and " + b.getShape());
        }
    }
}
