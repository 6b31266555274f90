package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.BatchNorm;
import java.util.SplittableRandom;

/** The few layers the networks are built from, as small functional wrappers over DJL ops. */
public final class Layers {
    private Layers() {}

    /**
     * A 2-D convolution, Kaiming-normal initialized (fan_out), without bias unless asked (the
     * ResNets follow it with batch norm, which makes a bias redundant).
     */
    public static final class Conv {
        private final NDArray weight;
        private NDArray bias;
        private final Shape stride;
        private final Shape padding;

        /**
         * @param p where the weight is registered
         * @param name its name prefix
         * @param in input channels
         * @param out output channels
         * @param k kernel size
         * @param stride stride
         * @param pad zero padding
         * @param rnd initialization stream
         */
        public Conv(Params p, String name, int in, int out, int k, int stride, int pad, SplittableRandom rnd) {
            this.weight = p.param(
                    name + ".weight",
                    new Shape(out, in, k, k),
                    Params.kaimingNormal(out * in * k * k, out * k * k, rnd));
            this.stride = new Shape(stride, stride);
            this.padding = new Shape(pad, pad);
        }

        /**
         * Adds a bias, initialized as PyTorch does (uniform, bound 1/sqrt(fan_in)).
         *
         * @param p where it is registered
         * @param name the layer's name prefix
         * @param rnd initialization stream
         * @return this
         */
        public Conv withBias(Params p, String name, SplittableRandom rnd) {
            Shape s = weight.getShape();
            int out = (int) s.get(0);
            double bound = 1 / Math.sqrt((double) (s.get(1) * s.get(2) * s.get(3)));
            bias = p.param(name + ".bias", new Shape(out), Params.uniform(out, bound, rnd));
            return this;
        }

        /**
         * @param x input, NCHW
         * @return the convolution
         */
        public NDArray forward(NDArray x) {
            return Conv2d.conv2d(x, weight, bias, stride, padding, new Shape(1, 1), 1)
                    .head();
        }
    }

    /** Batch normalization over channels, PyTorch defaults (momentum 0.1, eps 1e-5). */
    public static final class Norm {
        private final NDArray gamma;
        private final NDArray beta;
        private final NDArray runningMean;
        private final NDArray runningVar;

        /**
         * @param p where the tensors are registered
         * @param name name prefix
         * @param ch channels
         */
        public Norm(Params p, String name, int ch) {
            gamma = p.param(name + ".weight", new Shape(ch), Params.filled(ch, 1f));
            beta = p.param(name + ".bias", new Shape(ch), new float[ch]);
            runningMean = p.buffer(name + ".running_mean", new Shape(ch), new float[ch]);
            runningVar = p.buffer(name + ".running_var", new Shape(ch), Params.filled(ch, 1f));
        }

        /**
         * @param x input, NCHW
         * @param training batch statistics (and running-statistics update) when true
         * @return the normalized input
         */
        public NDArray forward(NDArray x, boolean training) {
            // DJL's momentum follows MXNet: 0.9 here is PyTorch's 0.1. Axis -1 selects the
            // engine's native channel axis (1) without a transpose.
            return BatchNorm.batchNorm(x, runningMean, runningVar, gamma, beta, -1, 0.9f, 1e-5f, training)
                    .head();
        }
    }

    /** A fully connected layer with PyTorch's default initialization. */
    public static final class Dense {
        private final NDArray weight;
        private final NDArray bias;

        /**
         * @param p where the tensors are registered
         * @param name name prefix
         * @param in input features
         * @param out output features
         * @param rnd initialization stream
         */
        public Dense(Params p, String name, int in, int out, SplittableRandom rnd) {
            double bound = 1 / Math.sqrt(in);
            weight = p.param(name + ".weight", new Shape(out, in), Params.uniform(out * in, bound, rnd));
            bias = p.param(name + ".bias", new Shape(out), Params.uniform(out, bound, rnd));
        }

        /**
         * @param x input, (batch, in)
         * @return x W^T + b
         */
        public NDArray forward(NDArray x) {
            return Linear.linear(x, weight, bias).head();
        }

        /** @return the weight matrix, (out, in) */
        public NDArray weight() {
            return weight;
        }
    }
}
