package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The small CNN of the fmnist-5x2 protocol: two 3x3 convolutions of 32 and 64 channels, each
 * followed by ReLU and 2x2 max pooling, then a 256-unit hidden layer whose output is the
 * feature vector.
 */
public final class SmallCnn implements Backbone {
    private final Layers.Conv conv1;
    private final Layers.Conv conv2;
    private final Layers.Dense fc;
    private final int flat;

    /**
     * @param p where tensors are registered
     * @param prefix name prefix
     * @param inChannels input channels
     * @param imageSize input side (divisible by 4)
     * @param lastRelu apply ReLU to the hidden layer's output
     * @param rnd initialization stream
     */
    public SmallCnn(Params p, String prefix, int inChannels, int imageSize, boolean lastRelu, SplittableRandom rnd) {
        conv1 = new Layers.Conv(p, prefix + ".conv1", inChannels, 32, 3, 1, 1, rnd).withBias(p, prefix + ".conv1", rnd);
        conv2 = new Layers.Conv(p, prefix + ".conv2", 32, 64, 3, 1, 1, rnd).withBias(p, prefix + ".conv2", rnd);
        int side = imageSize / 4;
        flat = 64 * side * side;
        fc = new Layers.Dense(p, prefix + ".fc", flat, 256, rnd);
        this.lastRelu = lastRelu;
    }

    private final boolean lastRelu;

    @Override
    public NDArray forward(NDArray x, boolean training) {
        return forward(x, null);
    }

    /** Its stages are the two convolution blocks (convolution, ReLU, pooling). */
    @Override
    public Stages forwardStages(NDArray x, boolean training) {
        List<NDArray> stages = new ArrayList<>();
        NDArray features = forward(x, stages);
        return new Stages(stages, features);
    }

    /** @param stages where the blocks' outputs go, or null */
    private NDArray forward(NDArray x, List<NDArray> stages) {
        Shape k = new Shape(2, 2);
        Shape none = new Shape(0, 0);
        NDArray h = Pool.maxPool2d(Activation.relu(conv1.forward(x)), k, k, none, false);
        if (stages != null) {
            stages.add(h);
        }
        h = Pool.maxPool2d(Activation.relu(conv2.forward(h)), k, k, none, false);
        if (stages != null) {
            stages.add(h);
        }
        h = fc.forward(h.reshape(h.getShape().get(0), flat));
        return lastRelu ? Activation.relu(h) : h;
    }

    @Override
    public int featureDim() {
        return 256;
    }
}
