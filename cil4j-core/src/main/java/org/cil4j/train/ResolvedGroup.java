package org.cil4j.train;

import ai.djl.ndarray.NDArray;
import java.util.Map;

/**
 * A parameter group with the tensors it selected.
 *
 * @param group the group
 * @param tensors its parameters by name
 */
public record ResolvedGroup(ParamGroup group, Map<String, NDArray> tensors) {}
