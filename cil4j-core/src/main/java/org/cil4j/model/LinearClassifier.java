package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.nn.core.Linear;
import java.util.List;

/** {@code model.classifier = linear}: one fully connected layer (weights and biases) per head. */
final class LinearClassifier implements Classifier {
    @Override
    public String name() {
        return "linear";
    }

    @Override
    public boolean hasBias() {
        return true;
    }

    @Override
    public NDArray logits(NDArray features, List<NDArray> weights, List<NDArray> biases) {
        NDList parts = new NDList();
        for (int i = 0; i < weights.size(); i++) {
            parts.add(Linear.linear(features, weights.get(i), biases.get(i)).head());
        }
        return parts.size() == 1 ? parts.head() : NDArrays.concat(parts, 1);
    }
}
