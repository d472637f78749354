// Query limits of /graphql, as validation rules:
//  - depth: the deepest nesting of field selections (fragments followed) must not pass
//    GRAPHQL_MAX_DEPTH;
//  - cost: every field costs 1, times the number of parents it is resolved for. A field
//    with a `limit` argument multiplies the cost of what it selects by that limit (the
//    literal, the variable's value, or the argument's default); any other list field
//    multiplies by 10, except the item lists of *Page types, whose size the paginated
//    field above already counted. The total must not pass GRAPHQL_MAX_COST.
// Introspection fields (__schema, __type) are not counted: introspection is switched off
// in production instead.
import {
  type ASTVisitor,
  type FragmentDefinitionNode,
  getNamedType,
  getNullableType,
  GraphQLError,
  type GraphQLSchema,
  isInterfaceType,
  isListType,
  isObjectType,
  Kind,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';

type Composite = Parameters<typeof isObjectType>[0];
const DEFAULT_LIST_FACTOR = 10;

function fragmentsOf(ctx: ValidationContext): Map<string, FragmentDefinitionNode> {
  const map = new Map<string, FragmentDefinitionNode>();
  for (const d of ctx.getDocument().definitions)
    if (d.kind === Kind.FRAGMENT_DEFINITION) map.set(d.name.value, d);
  return map;
}

function depthOf(
  set: SelectionSetNode,
  fragments: Map<string, FragmentDefinitionNode>,
  seen: Set<string>,
): number {
  let max = 0;
  for (const sel of set.selections) {
    if (sel.kind === Kind.FIELD) {
      if (sel.name.value.startsWith('__')) continue;
      const below = sel.selectionSet ? depthOf(sel.selectionSet, fragments, seen) : 0;
      max = Math.max(max, 1 + below);
    } else if (sel.kind === Kind.INLINE_FRAGMENT) {
      max = Math.max(max, depthOf(sel.selectionSet, fragments, seen));
    } else {
      const name = sel.name.value;
      const frag = fragments.get(name);
      if (!frag || seen.has(name)) continue; // cycles are reported by NoFragmentCycles
      seen.add(name);
      max = Math.max(max, depthOf(frag.selectionSet, fragments, seen));
      seen.delete(name);
    }
  }
  return max;
}

export function depthLimitRule(maxDepth: number) {
  return (ctx: ValidationContext): ASTVisitor => ({
    OperationDefinition(node: OperationDefinitionNode) {
      const depth = depthOf(node.selectionSet, fragmentsOf(ctx), new Set());
      if (depth > maxDepth) {
        ctx.reportError(
          new GraphQLError(`the query is ${depth} levels deep; at most ${maxDepth} are allowed`, {
            nodes: [node],
            extensions: { code: 'QUERY_TOO_DEEP', depth, maxDepth },
          }),
        );
      }
    },
  });
}

function intValue(node: ValueNode | undefined, variables: Record<string, unknown>): number | undefined {
  if (!node) return undefined;
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.VARIABLE) {
    const v = variables[node.name.value];
    return typeof v === 'number' ? v : undefined;
  }
  return undefined;
}

export function operationCost(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  fragments: Map<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
): number {
  const root =
    operation.operation === 'mutation'
      ? schema.getMutationType()
      : operation.operation === 'subscription'
        ? schema.getSubscriptionType()
        : schema.getQueryType();
  if (!root) return 0;
  const walk = (set: SelectionSetNode, parent: Composite, multiplier: number, seen: Set<string>): number => {
    let cost = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        if (sel.name.value.startsWith('__')) continue;
        if (!isObjectType(parent) && !isInterfaceType(parent)) continue;
        const def = parent.getFields()[sel.name.value];
        if (!def) continue;
        cost += multiplier;
        if (!sel.selectionSet) continue;
        const named = getNamedType(def.type);
        if (!isObjectType(named) && !isInterfaceType(named)) continue;
        const limitArg = def.args.find((a) => a.name === 'limit');
        let factor = 1;
        if (limitArg) {
          const given = intValue(sel.arguments?.find((a) => a.name.value === 'limit')?.value, variables);
          factor =
            given ??
            (typeof limitArg.defaultValue === 'number' ? limitArg.defaultValue : DEFAULT_LIST_FACTOR);
        } else if (isListType(getNullableType(def.type)) && !parent.name.endsWith('Page')) {
          factor = DEFAULT_LIST_FACTOR;
        }
        cost += walk(sel.selectionSet, named, multiplier * Math.max(1, factor), seen);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        const t = sel.typeCondition ? schema.getType(sel.typeCondition.name.value) : parent;
        if (t && (isObjectType(t) || isInterfaceType(t))) cost += walk(sel.selectionSet, t, multiplier, seen);
      } else {
        const name = sel.name.value;
        const frag = fragments.get(name);
        if (!frag || seen.has(name)) continue;
        const t = schema.getType(frag.typeCondition.name.value);
        if (!t || !(isObjectType(t) || isInterfaceType(t))) continue;
        seen.add(name);
        cost += walk(frag.selectionSet, t, multiplier, seen);
        seen.delete(name);
      }
    }
    return cost;
  };
  return walk(operation.selectionSet, root, 1, new Set());
}

/** Cost rule; run per request (with that request's variables) once the operation is known. */
export function costLimitRule(maxCost: number, variables: Record<string, unknown>) {
  return (ctx: ValidationContext): ASTVisitor => ({
    OperationDefinition(node: OperationDefinitionNode) {
      const cost = operationCost(ctx.getSchema(), node, fragmentsOf(ctx), variables);
      if (cost > maxCost) {
        ctx.reportError(
          new GraphQLError(
            `the query would cost ${cost}; at most ${maxCost} is allowed (ask for fewer items or fields)`,
            {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COSTLY', cost, maxCost },
            },
          ),
        );
      }
    },
  });
}
