/** Networks and classifier heads, and the operations that grow or initialize them. */
package org.cil4j.model;
