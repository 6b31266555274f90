package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.cil4j.loss.CosineLinear;

/**
 * {@code model.classifier = lsc}: PODNet's local similarity classifier (Douillard et al., PODNet:
 * Pooled Outputs Distillation for Small-Tasks Incremental Learning, ECCV 2020, Sec. 3.2), as
 * PyCIL's {@code convs/linears.py} computes it ({@code SplitCosineLinear} with {@code nb_proxy},
 * {@code reduce_proxies}). Each class has {@link #PROXIES} weight vectors (proxies; a head's rows
 * {@code c * K .. c * K + K - 1} belong to its class {@code c}); the class's similarity is the
 * softmax-weighted mean of its proxies' cosines, {@code s_c = sum_k softmax_k(cos_c) cos_ck},
 * and the logit is {@code sigma * s_c} with one learnable {@code sigma} (tensor "sigma", starting
 * at 1), as the cosine classifier's.
 */
final class LocalSimilarityClassifier extends CosineClassifier {
    /** Proxies per class, PyCIL's {@code nb_proxy = 10} ({@code models/podnet.py}). */
    static final int PROXIES = 10;

    private final int proxies;

    /**
     * @param params where the scale is registered
     * @param proxies weight vectors per class
     */
    LocalSimilarityClassifier(Params params, int proxies) {
        super(params);
        this.proxies = proxies;
    }

    @Override
    public String name() {
        return "lsc";
    }

    @Override
    public int rowsPerClass() {
        return proxies;
    }

    @Override
    public NDArray similarities(NDArray features, List<NDArray> weights) {
        return aggregate(CosineLinear.cosine(features, stepLocal(features, weights)), proxies);
    }

    /**
     * PyCIL's {@code reduce_proxies}: each class's proxy similarities weighted by their softmax
     * over the class's proxies, summed.
     *
     * @param proxySimilarities (batch, classes * proxies), a class's proxies adjacent
     * @param proxies proxies per class
     * @return (batch, classes)
     */
    public static NDArray aggregate(NDArray proxySimilarities, int proxies) {
        Shape s = proxySimilarities.getShape();
        if (s.dimension() != 2 || s.get(1) % proxies != 0) {
            throw new IllegalArgumentException(
                    "proxy similarities " + s + " are not (batch, classes * " + proxies + ")");
        }
        NDArray perClass = proxySimilarities.reshape(s.get(0), s.get(1) / proxies, proxies);
        return perClass.softmax(2).mul(perClass).sum(new int[] {2});
    }
}
