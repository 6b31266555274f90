package org.cil4j.loss;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Objects;

/** Argument checks shared by the loss functions; failures are programming errors. */
final class Checks {
    private Checks() {}

    /**
     * Checks that an array is a matrix of floating-point numbers.
     *
     * @param array the array to check
     * @param name its name in the message
     * @return the array
     */
    static NDArray matrix(NDArray array, String name) {
        Objects.requireNonNull(array, name);
        Shape shape = array.getShape();
        if (shape.dimension() != 2) {
            throw new IllegalArgumentException(name + " must be a matrix (batch, columns), got shape " + shape);
        }
        if (!array.getDataType().isFloating()) {
            throw new IllegalArgumentException(name + " must hold floating-point numbers, got " + array.getDataType());
        }
        return array;
    }

    /**
     * Checks that two matrices have the same shape.
     *
     * @param a the first matrix
     * @param aName its name in the message
     * @param b the second matrix
     * @param bName its name in the message
     */
    static void sameShape(NDArray a, String aName, NDArray b, String bName) {
        matrix(a, aName);
        matrix(b, bName);
        if (!a.getShape().equals(b.getShape())) {
            throw new IllegalArgumentException(aName
                    + " and "
                    + bName
                    + " must have the same shape, got "
                    + a.getShape()
                    + " and "
                    + b.getShape());
        }
    }

    /**
     * Checks class-index labels against a batch size and a number of classes and returns them
     * as a column vector of int64, ready for {@code gather}.
     *
     * <p>This reads the labels back to the host, which is cheap for a batch of indices.
     *
     * @param labels integer class indices, shape (batch) or (batch, 1)
     * @param batch the expected batch size
     * @param classes the number of classes; every label must lie in [0, classes)
     * @return the labels as an int64 array of shape (batch, 1)
     */
    static NDArray labels(NDArray labels, long batch, long classes) {
        Objects.requireNonNull(labels, "labels");
        DataType type = labels.getDataType();
        if (!type.isInteger()) {
            throw new IllegalArgumentException("labels must be integer class indices, got " + type);
        }
        Shape shape = labels.getShape();
        boolean column = shape.dimension() == 2 && shape.get(1) == 1;
        if (!(shape.dimension() == 1 || column) || shape.get(0) != batch) {
            throw new IllegalArgumentException(
                    "labels must have shape (" + batch + ") to match the batch, got " + shape);
        }
        NDArray asLong = labels.toType(DataType.INT64, false).reshape(batch, 1);
        long[] values = asLong.toLongArray();
        for (int i = 0; i < values.length; i++) {
            if (values[i] < 0 || values[i] >= classes) {
                throw new IllegalArgumentException(
                        "label " + values[i] + " of sample " + i + " is out of range [0, " + classes + ")");
            }
        }
        return asLong;
    }

    /**
     * Checks a distillation temperature.
     *
     * @param temperature the temperature
     */
    static void temperature(double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be positive and finite, got " + temperature);
        }
    }
}
