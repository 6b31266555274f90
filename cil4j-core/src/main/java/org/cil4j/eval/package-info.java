/**
 * Evaluation: the accuracy matrix of a run and the metrics that are pure functions of it
 * (average incremental accuracy, forgetting, backward transfer).
 */
package org.cil4j.eval;
