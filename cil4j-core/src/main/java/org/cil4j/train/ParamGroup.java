package org.cil4j.train;

import java.util.function.Predicate;

/**
 * Parameters selected by name that train together at one learning rate and weight decay.
 * Parameters selected by no group of a stage are frozen in it.
 *
 * @param name a label for logs
 * @param select which parameter names belong to the group
 * @param lr base learning rate (the schedule multiplies it)
 * @param weightDecay L2 weight decay
 */
public record ParamGroup(String name, Predicate<String> select, double lr, double weightDecay) {}
