package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import java.util.List;

/** A feature extractor: images in, one feature vector per image out. */
public interface Backbone {
    /**
     * @param x images, (batch, channels, height, width), normalized
     * @param training batch-norm in training mode (batch statistics, running update)
     * @return features, (batch, {@link #featureDim()})
     */
    NDArray forward(NDArray x, boolean training);

    /**
     * The same pass as {@link #forward}, same numbers, that also returns the output of each of
     * the network's stages (PODNet distills them): ResNet's stages of blocks, the small CNN's
     * convolution blocks. In inference the stage outputs stay alive with the features; every
     * other intermediate is closed as in {@link #forward}.
     *
     * @param x images, (batch, channels, height, width), normalized
     * @param training batch-norm in training mode
     * @return the stage outputs, first to last, each (batch, channels, height, width), and the
     *     features
     */
    Stages forwardStages(NDArray x, boolean training);

    /** @return the length of a feature vector */
    int featureDim();

    /**
     * A forward pass's stage outputs and features.
     *
     * @param stages each stage's output, first to last
     * @param features the feature vectors, (batch, featureDim)
     */
    record Stages(List<NDArray> stages, NDArray features) {
        /** Copies the list. */
        public Stages {
            stages = List.copyOf(stages);
        }
    }
}
