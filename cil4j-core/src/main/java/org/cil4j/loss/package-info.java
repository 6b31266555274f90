/**
 * Loss terms of class-incremental learning, as small stateless functions on {@code NDArray}s.
 *
 * <p>Each function takes a batch and returns a scalar (the batch mean unless its Javadoc says
 * otherwise) attached to the manager of its inputs, so it can be used inside a gradient
 * collector. Teacher outputs (from the frozen model of the previous phase) are treated as
 * constants: the functions call {@code stopGradient()} on them. Formulations are numerically
 * stable (log-softmax, the softplus form of binary cross-entropy). Every function is tested
 * against the reference vectors of {@code PROTOCOLS.md}, computed with PyTorch.
 *
 * <p>Invalid arguments (wrong shapes, non-integer or out-of-range labels, a non-positive
 * temperature) raise {@link java.lang.IllegalArgumentException}: they are programming errors,
 * not user errors.
 */
package org.cil4j.loss;
