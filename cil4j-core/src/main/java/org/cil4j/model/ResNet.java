package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.pooling.Pool;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Residual networks of basic blocks (He et al. 2016).
 *
 * <ul>
 *   <li>{@link #cifar}: the CIFAR ResNet-6n+2 (ResNet-32 for n = 5) of iCaRL and LUCIR: a 3x3
 *       stem of 16 channels, three stages of n blocks with 16, 32 and 64 channels, global
 *       average pooling; shortcuts that change shape are 1x1 convolutions with batch norm, as
 *       in LUCIR's released {@code resnet_cifar.py}.
 *   <li>{@link #resnet18}: ResNet-18 (stages of 2 blocks, 64 to 512 channels); a 3x3 stem for
 *       inputs up to 64 pixels, the ImageNet 7x7 stride-2 stem with max pooling above.
 * </ul>
 *
 * <p>{@code lastRelu = false} drops the ReLU after the last block, so features can be
 * negative; LUCIR's cosine classifier needs this (Hou et al. 2019, Sec. 3.2).
 */
public final class ResNet implements Backbone {
    private final Layers.Conv stem;
    private final Layers.Norm stemNorm;
    private final boolean imagenetStem;
    private final List<Block> blocks = new ArrayList<>();
    /** Whether block {@code i} is the last of its stage. */
    private final List<Boolean> endsStage = new ArrayList<>();

    private final int featureDim;

    private ResNet(
            Params p,
            String prefix,
            int inChannels,
            int[] widths,
            int[] depths,
            boolean imagenetStem,
            boolean lastRelu,
            SplittableRandom rnd) {
        this.imagenetStem = imagenetStem;
        int stemWidth = widths[0];
        stem = imagenetStem
                ? new Layers.Conv(p, prefix + ".conv1", inChannels, stemWidth, 7, 2, 3, rnd)
                : new Layers.Conv(p, prefix + ".conv1", inChannels, stemWidth, 3, 1, 1, rnd);
        stemNorm = new Layers.Norm(p, prefix + ".bn1", stemWidth);
        int in = stemWidth;
        for (int s = 0; s < widths.length; s++) {
            for (int b = 0; b < depths[s]; b++) {
                int stride = (s > 0 && b == 0) ? 2 : 1;
                boolean last = s == widths.length - 1 && b == depths[s] - 1;
                String name = prefix + ".stage" + (s + 1) + "." + b;
                blocks.add(new Block(p, name, in, widths[s], stride, !last || lastRelu, rnd));
                endsStage.add(b == depths[s] - 1);
                in = widths[s];
            }
        }
        featureDim = in;
    }

    /**
     * The CIFAR ResNet of depth 6n+2.
     *
     * @param p where tensors are registered
     * @param prefix name prefix ("backbone")
     * @param inChannels input channels
     * @param depth 20, 32, 44, 56, ...
     * @param lastRelu keep the ReLU after the last block
     * @param rnd initialization stream
     * @return the network
     */
    public static ResNet cifar(
            Params p, String prefix, int inChannels, int depth, boolean lastRelu, SplittableRandom rnd) {
        if ((depth - 2) % 6 != 0 || depth < 8) {
            throw new IllegalArgumentException("CIFAR ResNet depth must be 6n+2, got " + depth);
        }
        int n = (depth - 2) / 6;
        return new ResNet(p, prefix, inChannels, new int[] {16, 32, 64}, new int[] {n, n, n}, false, lastRelu, rnd);
    }

    /**
     * ResNet-18.
     *
     * @param p where tensors are registered
     * @param prefix name prefix
     * @param inChannels input channels
     * @param imageSize input side; above 64 the ImageNet stem is used
     * @param lastRelu keep the ReLU after the last block
     * @param rnd initialization stream
     * @return the network
     */
    public static ResNet resnet18(
            Params p, String prefix, int inChannels, int imageSize, boolean lastRelu, SplittableRandom rnd) {
        return new ResNet(
                p,
                prefix,
                inChannels,
                new int[] {64, 128, 256, 512},
                new int[] {2, 2, 2, 2},
                imageSize > 64,
                lastRelu,
                rnd);
    }

    /**
     * {@inheritDoc}
     *
     * <p>In inference ({@code training} false) each intermediate array is closed as soon as the
     * next one has been computed from it ({@link Chain}). DJL otherwise keeps every intermediate
     * until the caller's manager closes, where PyTorch frees it at once: a batch of 256 32x32
     * images through ResNet-32 raised the resident memory by 1.0-1.2 GiB, nearly all of it
     * activations that nothing read again. In training they stay, for the backward pass.
     */
    @Override
    public NDArray forward(NDArray x, boolean training) {
        return forward(x, training, null);
    }

    /**
     * {@inheritDoc}
     *
     * <p>The stages are the stages of blocks (ResNet-32: three, of 16, 32 and 64 channels, as
     * PyCIL's {@code fmaps}; ResNet-18: four).
     */
    @Override
    public Stages forwardStages(NDArray x, boolean training) {
        List<NDArray> stages = new ArrayList<>();
        NDArray features = forward(x, training, stages);
        return new Stages(stages, features);
    }

    /** @param stages where the stages' outputs go (the chain then leaves them open), or null */
    private NDArray forward(NDArray x, boolean training, List<NDArray> stages) {
        Chain c = new Chain(training);
        NDArray h = c.then(stem.forward(x));
        h = c.then(stemNorm.forward(h, training));
        h = c.then(Activation.relu(h));
        if (imagenetStem) {
            h = c.then(Pool.maxPool2d(h, new Shape(3, 3), new Shape(2, 2), new Shape(1, 1), false));
        }
        for (int i = 0; i < blocks.size(); i++) {
            h = c.then(blocks.get(i).forward(h, training));
            if (stages != null && endsStage.get(i)) {
                stages.add(c.keep()); // the caller's: the chain does not close it
            }
        }
        long batch = h.getShape().get(0);
        h = c.then(Pool.globalAvgPool2d(h));
        c.then(h.reshape(batch, featureDim));
        return c.keep();
    }

    /**
     * A sequence of intermediate arrays: in inference, {@link #then} closes the previous one
     * (never the input the chain started from); in training it closes nothing.
     */
    private static final class Chain {
        private final boolean training;
        private NDArray last;

        Chain(boolean training) {
            this.training = training;
        }

        /** @return {@code next}, after closing the array before it in inference */
        NDArray then(NDArray next) {
            if (!training && last != null && last != next) {
                last.close();
            }
            last = next;
            return next;
        }

        /** Closes the last array in inference (the chain is done with it). */
        void release() {
            then(null);
        }

        /** @return the last array, which the chain will not close */
        NDArray keep() {
            NDArray out = last;
            last = null;
            return out;
        }
    }

    @Override
    public int featureDim() {
        return featureDim;
    }

    private static final class Block {
        private final Layers.Conv conv1;
        private final Layers.Norm bn1;
        private final Layers.Conv conv2;
        private final Layers.Norm bn2;
        private final Layers.Conv down;
        private final Layers.Norm downNorm;
        private final boolean relu;

        Block(Params p, String name, int in, int out, int stride, boolean relu, SplittableRandom rnd) {
            conv1 = new Layers.Conv(p, name + ".conv1", in, out, 3, stride, 1, rnd);
            bn1 = new Layers.Norm(p, name + ".bn1", out);
            conv2 = new Layers.Conv(p, name + ".conv2", out, out, 3, 1, 1, rnd);
            bn2 = new Layers.Norm(p, name + ".bn2", out);
            if (stride != 1 || in != out) {
                down = new Layers.Conv(p, name + ".downsample.0", in, out, 1, stride, 0, rnd);
                downNorm = new Layers.Norm(p, name + ".downsample.1", out);
            } else {
                down = null;
                downNorm = null;
            }
            this.relu = relu;
        }

        /** @return the block's output; in inference every array made on the way is closed */
        NDArray forward(NDArray x, boolean training) {
            Chain c = new Chain(training);
            NDArray h = c.then(conv1.forward(x));
            h = c.then(bn1.forward(h, training));
            h = c.then(Activation.relu(h));
            h = c.then(conv2.forward(h));
            h = c.then(bn2.forward(h, training));
            NDArray shortcut = x;
            Chain s = new Chain(training);
            if (down != null) {
                shortcut = s.then(down.forward(x));
                shortcut = s.then(downNorm.forward(shortcut, training));
            }
            h = c.then(h.add(shortcut));
            s.release(); // the shortcut's arrays, in inference
            if (relu) {
                h = c.then(Activation.relu(h));
            }
            return c.keep();
        }
    }
}
