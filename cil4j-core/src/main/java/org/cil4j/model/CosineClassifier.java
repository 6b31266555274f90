package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.cil4j.loss.CosineLinear;

/**
 * {@code model.classifier = cosine}: LUCIR's cosine normalization (Hou et al. 2019, eq. 4). Each
 * head holds one weight vector per class, no bias; the logit of class {@code j} is {@code sigma *
 * cos(feature, w_j)} with one learnable {@code sigma} (tensor "sigma", starting at 1) shared by
 * every head.
 */
class CosineClassifier implements Classifier {
    private final NDArray sigma;

    /** @param params where the scale is registered */
    CosineClassifier(Params params) {
        sigma = params.param("sigma", new Shape(1), new float[] {1f});
    }

    @Override
    public String name() {
        return "cosine";
    }

    @Override
    public boolean hasBias() {
        return false;
    }

    @Override
    public NDArray logits(NDArray features, List<NDArray> weights, List<NDArray> biases) {
        return similarities(features, weights).mul(sigma);
    }

    @Override
    public NDArray similarities(NDArray features, List<NDArray> weights) {
        return CosineLinear.cosine(features, stepLocal(features, weights));
    }

    /**
     * Step-local views of the weights, concatenated: an op's result lives in the manager of its
     * first operand, so starting from the batch keeps temporaries out of the parameters' manager.
     *
     * @param features the batch's features, whose manager the copies join
     * @param weights the heads' weights
     * @return every head's rows, in order
     */
    static NDArray stepLocal(NDArray features, List<NDArray> weights) {
        NDManager step = features.getManager();
        NDList local = new NDList();
        for (NDArray w : weights) {
            local.add(step.zeros(w.getShape()).add(w));
        }
        return local.size() == 1 ? local.head() : NDArrays.concat(local, 0);
    }

    @Override
    public NDArray scale() {
        return sigma;
    }
}
