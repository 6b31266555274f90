package org.cil4j.model;

import ai.djl.ndarray.NDArray;

/** A feature extractor: images in, one feature vector per image out. */
public interface Backbone {
    /**
     * @param x images, (batch, channels, height, width), normalized
     * @param training batch-norm in training mode (batch statistics, running update)
     * @return features, (batch, {@link #featureDim()})
     */
    NDArray forward(NDArray x, boolean training);

    /** @return the length of a feature vector */
    int featureDim();
}
