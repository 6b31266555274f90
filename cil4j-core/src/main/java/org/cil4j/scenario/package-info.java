/** How a dataset becomes a sequence of phases: class order, phase sizes, task membership. */
package org.cil4j.scenario;
