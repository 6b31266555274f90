package org.cil4j.train;

import ai.djl.ndarray.NDArray;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Stochastic gradient descent with momentum and weight decay, PyTorch semantics:
 * {@code d = g + wd * w; v = m * v + d; w -= lr * v}, with the momentum buffers owned here
 * (so a checkpoint can save them) and a learning rate and weight decay per parameter group.
 */
public final class Sgd {
    private final double momentum;
    private final Map<String, NDArray> velocity = new LinkedHashMap<>();

    /** @param momentum momentum factor (0.9 in all protocols) */
    public Sgd(double momentum) {
        this.momentum = momentum;
    }

    /**
     * Applies one update to every parameter of the groups that has a gradient, then clears the
     * gradients.
     *
     * @param groups parameter groups with their tensors
     * @param lrScale multiplier of each group's base learning rate (the schedule's factor)
     */
    public void step(List<ResolvedGroup> groups, double lrScale) {
        for (ResolvedGroup g : groups) {
            float lr = (float) (g.group().lr() * lrScale);
            float wd = (float) g.group().weightDecay();
            for (Map.Entry<String, NDArray> e : g.tensors().entrySet()) {
                NDArray w = e.getValue();
                if (!w.hasGradient()) {
                    continue;
                }
                try (NDArray grad = w.getGradient()) {
                    NDArray d;
                    if (wd == 0f) {
                        d = grad;
                    } else {
                        try (NDArray decay = w.mul(wd)) {
                            d = grad.add(decay);
                        }
                    }
                    NDArray v = velocity.get(e.getKey());
                    if (momentum != 0) {
                        if (v == null) {
                            v = d.duplicate();
                            velocity.put(e.getKey(), v);
                        } else {
                            v.muli((float) momentum).addi(d);
                        }
                    } else {
                        v = d;
                    }
                    try (NDArray delta = v.mul(lr)) {
                        w.subi(delta);
                    }
                    if (d != grad) {
                        d.close();
                    }
                    JniUtils.zeroGrad((PtNDArray) w);
                }
            }
        }
    }

    /** @return the momentum buffers by parameter name */
    public Map<String, NDArray> state() {
        return velocity;
    }

    /**
     * Replaces the momentum buffers with copies of saved ones (a resumed stage continues exactly
     * where the saved one stopped). Each copy lives in the manager of its parameter.
     *
     * @param saved momentum buffers by parameter name
     * @param params the parameters they belong to, by name
     */
    public void load(Map<String, NDArray> saved, Map<String, NDArray> params) {
        clear();
        for (Map.Entry<String, NDArray> e : saved.entrySet()) {
            NDArray w = params.get(e.getKey());
            if (w == null || !w.getShape().equals(e.getValue().getShape())) {
                throw new org.cil4j.CilException(
                        "saved momentum for '" + e.getKey() + "' matches no parameter of that shape");
            }
            NDArray v = w.getManager().create(e.getValue().toFloatArray(), w.getShape());
            velocity.put(e.getKey(), v);
        }
    }

    /** Frees the momentum buffers. */
    public void clear() {
        velocity.values().forEach(NDArray::close);
        velocity.clear();
    }
}
