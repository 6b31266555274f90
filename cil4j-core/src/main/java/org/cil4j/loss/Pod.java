package org.cil4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import java.util.List;

/**
 * PODNet's pooled outputs distillation (Douillard et al., PODNet: Pooled Outputs Distillation for
 * Small-Tasks Incremental Learning, ECCV 2020, Sec. 3.1), as PyCIL's {@code models/podnet.py}
 * computes it ({@code pod_spatial_loss}, the authors' {@code pod(collapse_channels="spatial")}
 * in {@code inclearn/lib/losses/distillation.py}, and {@code F.cosine_embedding_loss} for the
 * flat term).
 */
public final class Pod {
    private Pod() {}

    /**
     * POD-spatial. For each stage, the squared activations of shape (batch, c, h, w) are summed
     * over the width and over the height, the two flattened to (batch, c*h) and (batch, c*w) and
     * concatenated, each row L2-normalized (norm floored at 1e-12, {@code F.normalize}); the
     * stage's term is the batch mean of the L2 distance between old and new rows. The loss is
     * the mean of the stages' terms.
     *
     * @param oldStages the old model's stage outputs, constants
     * @param newStages the new model's, the same shapes
     * @return a scalar
     * @throws IllegalArgumentException if the lists are empty or differ in length or shapes
     */
    public static NDArray spatial(List<NDArray> oldStages, List<NDArray> newStages) {
        if (oldStages.isEmpty() || oldStages.size() != newStages.size()) {
            throw new IllegalArgumentException(
                    oldStages.size() + " old stages and " + newStages.size() + " new: they must match, at least one");
        }
        NDArray total = null;
        for (int i = 0; i < newStages.size(); i++) {
            NDArray a = oldStages.get(i).stopGradient();
            NDArray b = newStages.get(i);
            if (b.getShape().dimension() != 4 || !a.getShape().equals(b.getShape())) {
                throw new IllegalArgumentException("stage " + i + ": old " + a.getShape() + " and new " + b.getShape()
                        + " must be the same (batch, c, h, w)");
            }
            NDArray d = pooled(b).sub(pooled(a)).norm(new int[] {1}).mean();
            total = total == null ? d : total.add(d);
        }
        return total.div(newStages.size());
    }

    /** @return the width and height poolings of the squared map, concatenated and normalized rows */
    private static NDArray pooled(NDArray map) {
        NDArray sq = map.square();
        long n = sq.getShape().get(0);
        NDArray rows = NDArrays.concat(
                new NDList(
                        sq.sum(new int[] {3}).reshape(n, -1),
                        sq.sum(new int[] {2}).reshape(n, -1)),
                1);
        return CosineLinear.normalizeRows(rows);
    }

    /**
     * POD-flat: the batch mean of {@code 1 - cos(f_old, f_new)} on the final features, PyCIL's
     * {@code F.cosine_embedding_loss} with target 1 (the same function as LUCIR's less-forget
     * constraint, {@link LessForget#loss}).
     *
     * @param oldFeatures the old model's features, (batch, dim), constants
     * @param newFeatures the new model's
     * @return a scalar in [0, 2]
     */
    public static NDArray flat(NDArray oldFeatures, NDArray newFeatures) {
        return LessForget.loss(oldFeatures, newFeatures);
    }
}
