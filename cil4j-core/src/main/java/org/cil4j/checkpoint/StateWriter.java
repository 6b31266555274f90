package org.cil4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Collects named arrays for a checkpoint file: host copies, taken when added, so later training
 * does not change what is saved. Names must be unique. Close it (or call {@link #encode}) to free
 * the copies.
 */
public final class StateWriter implements AutoCloseable {
    private final NDManager manager;
    private final NDList list = new NDList();
    private final Set<String> names = new HashSet<>();

    /** @param parent manager under which the copies are made */
    public StateWriter(NDManager parent) {
        this.manager = parent.newSubManager();
    }

    /**
     * Adds a copy of an array (float32 or int32).
     *
     * @param name unique name
     * @param a the array
     * @return this
     */
    public StateWriter put(String name, NDArray a) {
        NDArray c;
        if (a.getDataType() == DataType.INT32) {
            c = manager.create(a.toIntArray(), a.getShape());
        } else {
            c = manager.create(a.toFloatArray(), a.getShape());
        }
        return add(name, c);
    }

    /**
     * Adds every tensor of a map under a prefix.
     *
     * @param prefix put before each name, e.g. "old."
     * @param tensors tensors by name
     * @return this
     */
    public StateWriter putAll(String prefix, Map<String, NDArray> tensors) {
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            put(prefix + e.getKey(), e.getValue());
        }
        return this;
    }

    /**
     * @param name unique name
     * @param values integers
     * @return this
     */
    public StateWriter putInts(String name, int[] values) {
        return add(name, manager.create(values, new Shape(values.length)));
    }

    /**
     * Adds a matrix of rows of equal length.
     *
     * @param name unique name
     * @param rows the rows (at least one)
     * @return this
     */
    public StateWriter putRows(String name, float[][] rows) {
        int d = rows.length == 0 ? 0 : rows[0].length;
        float[] flat = new float[rows.length * d];
        for (int i = 0; i < rows.length; i++) {
            if (rows[i].length != d) {
                throw new IllegalArgumentException(name + ": rows of different lengths");
            }
            System.arraycopy(rows[i], 0, flat, i * d, d);
        }
        return add(name, manager.create(flat, new Shape(rows.length, d)));
    }

    private StateWriter add(String name, NDArray c) {
        if (!names.add(name)) {
            throw new IllegalStateException("state entry " + name + " written twice");
        }
        c.setName(name);
        list.add(c);
        return this;
    }

    /** @return the number of entries */
    public int size() {
        return list.size();
    }

    /**
     * Encodes the entries (DJL's NDList format: names, types, shapes, data) and frees the copies.
     *
     * @return the bytes of the file
     */
    public byte[] encode() {
        try {
            return list.encode();
        } finally {
            close();
        }
    }

    @Override
    public void close() {
        manager.close();
    }
}
