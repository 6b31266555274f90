package org.cil4j.checkpoint;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.cil4j.CilException;

/**
 * Reads the named arrays of one checkpoint file (already checksum-verified). Every missing
 * entry or wrong shape is a {@link CilException} naming the file and the entry.
 */
public final class StateReader implements AutoCloseable {
    private final String source;
    private final NDManager manager;
    private final Map<String, NDArray> entries = new LinkedHashMap<>();

    private static final byte[] EMPTY = new NDList().encode();

    /**
     * @param source the file, for messages
     * @param bytes its content, in the format of {@link StateWriter#encode}
     * @param parent manager under which the arrays are decoded
     */
    public StateReader(String source, byte[] bytes, NDManager parent) {
        this.source = source;
        this.manager = parent.newSubManager();
        try {
            // DJL cannot decode the list it encodes when that list is empty (a method that keeps nothing)
            NDList list = java.util.Arrays.equals(bytes, EMPTY) ? new NDList() : NDList.decode(manager, bytes);
            for (NDArray a : list) {
                if (a.getName() == null || entries.put(a.getName(), a) != null) {
                    throw new CilException(source + ": an entry has no name or a duplicate name");
                }
            }
        } catch (CilException e) {
            manager.close();
            throw e;
        } catch (RuntimeException e) {
            manager.close();
            throw new CilException(source + ": not a valid tensor file: " + e.getMessage(), e);
        }
    }

    /** @return the file this reads, for messages */
    public String source() {
        return source;
    }

    /** @return every entry name */
    public Set<String> names() {
        return entries.keySet();
    }

    /**
     * @param name an entry
     * @return true when the file holds it
     */
    public boolean has(String name) {
        return entries.containsKey(name);
    }

    /**
     * @param name an entry
     * @return its array (owned by this reader)
     */
    public NDArray get(String name) {
        NDArray a = entries.get(name);
        if (a == null) {
            throw new CilException(source + ": missing entry '" + name + "'");
        }
        return a;
    }

    /**
     * @param name an entry of integers
     * @return its values
     */
    public int[] ints(String name) {
        NDArray a = get(name);
        if (a.getDataType() != DataType.INT32 || a.getShape().dimension() != 1) {
            throw new CilException(source + ": entry '" + name + "' is not a vector of integers");
        }
        return a.toIntArray();
    }

    /**
     * @param name an entry written by {@link StateWriter#putRows}
     * @return its rows
     */
    public float[][] rows(String name) {
        NDArray a = get(name);
        if (a.getDataType() != DataType.FLOAT32 || a.getShape().dimension() != 2) {
            throw new CilException(source + ": entry '" + name + "' is not a matrix");
        }
        int n = (int) a.getShape().get(0);
        int d = (int) a.getShape().get(1);
        float[] flat = a.toFloatArray();
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = java.util.Arrays.copyOfRange(flat, i * d, (i + 1) * d);
        }
        return rows;
    }

    /**
     * Copies entries {@code prefix + name} into existing tensors of the same name and shape. The
     * file must hold exactly these tensors under the prefix: no more, no fewer.
     *
     * @param prefix e.g. "old."
     * @param targets the tensors to overwrite, by name
     */
    public void copyInto(String prefix, Map<String, NDArray> targets) {
        long present =
                entries.keySet().stream().filter(n -> n.startsWith(prefix)).count();
        if (present != targets.size()) {
            throw new CilException(source + ": holds " + present + " tensors under '" + prefix
                    + "' but the network has " + targets.size() + " (a different architecture or number of heads)");
        }
        for (Map.Entry<String, NDArray> e : targets.entrySet()) {
            NDArray src = get(prefix + e.getKey());
            NDArray dst = e.getValue();
            if (!src.getShape().equals(dst.getShape()) || src.getDataType() != dst.getDataType()) {
                throw new CilException(source + ": tensor '" + prefix + e.getKey() + "' has shape " + src.getShape()
                        + " " + src.getDataType() + " but the network expects " + dst.getShape() + " "
                        + dst.getDataType());
            }
        }
        for (Map.Entry<String, NDArray> e : targets.entrySet()) {
            // an indexed copy, not set(float[]): DJL's native set makes libtorch print a deprecation
            // warning the user cannot act on, and goes through a Java array for nothing
            e.getValue().set(new ai.djl.ndarray.index.NDIndex(":"), get(prefix + e.getKey()));
        }
    }

    /**
     * @param prefix e.g. "sgd."
     * @return the entries under it, by name without the prefix (owned by this reader)
     */
    public Map<String, NDArray> under(String prefix) {
        Map<String, NDArray> m = new LinkedHashMap<>();
        entries.forEach((k, v) -> {
            if (k.startsWith(prefix)) {
                m.put(k.substring(prefix.length()), v);
            }
        });
        return m;
    }

    @Override
    public void close() {
        manager.close();
    }
}
