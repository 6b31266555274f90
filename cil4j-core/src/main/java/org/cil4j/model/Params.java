package org.cil4j.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;

/**
 * The tensors of a network, by name, in creation order: learnable parameters and buffers
 * (batch-norm running statistics). Owns the {@link NDManager} they live in.
 *
 * <p>Names are hierarchical ("backbone.stage1.block0.conv1.weight", "head.2.weight"), which is
 * how methods select what trains. Initial values come from Java random streams, so the same
 * seed gives the same network whatever the engine's own random state.
 */
public final class Params implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final Map<String, NDArray> buffers = new LinkedHashMap<>();

    /** @param manager the manager the tensors are created in; closed with this object */
    public Params(NDManager manager) {
        this.manager = manager;
    }

    /** @return the manager owning the tensors */
    public NDManager manager() {
        return manager;
    }

    /**
     * Creates a learnable parameter.
     *
     * @param name unique name
     * @param shape its shape
     * @param values initial values in row-major order
     * @return the parameter
     */
    public NDArray param(String name, Shape shape, float[] values) {
        checkNew(name);
        NDArray a = manager.create(values, shape);
        a.setName(name);
        params.put(name, a);
        return a;
    }

    /**
     * Creates a buffer: state that is saved and copied but never trained.
     *
     * @param name unique name
     * @param shape its shape
     * @param values initial values
     * @return the buffer
     */
    public NDArray buffer(String name, Shape shape, float[] values) {
        checkNew(name);
        NDArray a = manager.create(values, shape);
        a.setName(name);
        buffers.put(name, a);
        return a;
    }

    /**
     * Removes a learnable parameter and frees it: for a parameter that lives only during one
     * stage of a phase (BiC's bias layer, folded into its head afterwards), so that what is
     * saved and copied between phases is the network alone.
     *
     * @param name the parameter's name
     * @throws IllegalStateException when there is no such parameter
     */
    public void remove(String name) {
        NDArray a = params.remove(name);
        if (a == null) {
            throw new IllegalStateException("no parameter " + name);
        }
        a.close();
    }

    private void checkNew(String name) {
        if (params.containsKey(name) || buffers.containsKey(name)) {
            throw new IllegalStateException("tensor " + name + " exists already");
        }
    }

    /**
     * Replaces a learnable parameter by a new tensor of another shape, in the same place of the
     * order (a head that gains feature columns when the network gains a backbone). The old tensor
     * is closed.
     *
     * @param name an existing parameter
     * @param shape the new shape
     * @param values its values in row-major order
     * @return the new parameter
     */
    public NDArray replace(String name, Shape shape, float[] values) {
        NDArray old = params.get(name);
        if (old == null) {
            throw new IllegalStateException("no parameter " + name + " to replace");
        }
        NDArray a = manager.create(values, shape);
        a.setName(name);
        params.put(name, a); // an existing key keeps its place in a LinkedHashMap
        old.close();
        return a;
    }

    /** @return learnable parameters by name, in creation order (unmodifiable) */
    public Map<String, NDArray> params() {
        return Collections.unmodifiableMap(params);
    }

    /** @return buffers by name (unmodifiable) */
    public Map<String, NDArray> buffers() {
        return Collections.unmodifiableMap(buffers);
    }

    /** @return parameters and buffers together, parameters first */
    public Map<String, NDArray> all() {
        Map<String, NDArray> all = new LinkedHashMap<>(params);
        all.putAll(buffers);
        return all;
    }

    /** @return the number of learnable scalars */
    public long countParams() {
        return params.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /**
     * Turns gradient tracking on for the parameters the predicate selects and off for the
     * others.
     *
     * @param trainable selects parameter names that should receive gradients
     */
    public void setTrainable(Predicate<String> trainable) {
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            boolean want = trainable.test(e.getKey());
            if (e.getValue().hasGradient() != want) {
                e.getValue().setRequiresGradient(want);
            }
        }
    }

    /**
     * Copies every tensor's values from another set with the same names and shapes.
     *
     * @param other the source
     */
    public void copyFrom(Params other) {
        Map<String, NDArray> src = other.all();
        for (Map.Entry<String, NDArray> e : all().entrySet()) {
            NDArray s = src.get(e.getKey());
            if (s == null || !s.getShape().equals(e.getValue().getShape())) {
                throw new IllegalStateException("cannot copy " + e.getKey() + ": shapes differ");
            }
            e.getValue().set(new ai.djl.ndarray.index.NDIndex(":"), s); // as StateReader.copyInto, without set(float[])
        }
    }

    @Override
    public void close() {
        manager.close();
    }

    // ---- initializers (PyTorch's defaults, drawn from Java streams) ----

    /**
     * Kaiming-normal values (He et al. 2015), std = sqrt(2 / fan), as the CIFAR ResNets of
     * iCaRL and LUCIR initialize their convolutions (mode fan_out).
     *
     * @param n how many values
     * @param fan the fan used for the scale
     * @param rnd random stream
     * @return the values
     */
    public static float[] kaimingNormal(int n, int fan, SplittableRandom rnd) {
        double std = Math.sqrt(2.0 / fan);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (gaussian(rnd) * std);
        }
        return v;
    }

    /**
     * Uniform values in [-bound, bound], PyTorch's default for linear layers with bound =
     * 1/sqrt(fan_in).
     *
     * @param n how many values
     * @param bound the bound
     * @param rnd random stream
     * @return the values
     */
    public static float[] uniform(int n, double bound, SplittableRandom rnd) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) ((rnd.nextDouble() * 2 - 1) * bound);
        }
        return v;
    }

    /**
     * @param n how many values
     * @param value the value
     * @return an array filled with it
     */
    public static float[] filled(int n, float value) {
        float[] v = new float[n];
        java.util.Arrays.fill(v, value);
        return v;
    }

    private static double gaussian(SplittableRandom rnd) {
        double u1 = rnd.nextDouble();
        double u2 = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(1 - u1)) * Math.cos(2 * Math.PI * u2);
    }
}
