// Compiled with `tsc --noEmit` by test/unit/types.test.js: the SDK's declarations type real use.
import { createClient, operations, GraphQLRequestError } from '../../types/index';
import type { HomeScreenQuery, WorkOrderState } from '../../types/index';

declare const wx: any;

async function home(): Promise<string | undefined> {
  const client = createClient({ url: 'https://api.example.com', wx });
  const data: HomeScreenQuery = await client.query(operations.HomeScreen);
  const worker = data.me?.resident?.grid?.workers[0];
  const state: WorkOrderState | undefined = data.workOrders.edges[0]?.node.state;
  const orders = await client.query(operations.MyWorkOrders, { states: ['SUBMITTED'], first: 10 });
  orders.workOrders.pageInfo.endCursor?.toUpperCase();
  const { submitWorkOrder } = await client.mutate(operations.SubmitWorkOrder, { description: '灯坏了' });
  submitWorkOrder.id.toUpperCase();
  // @ts-expect-error: `first` is an Int
  await client.query(operations.MyWorkOrders, { first: 'ten' });
  // @ts-expect-error: no such field on the result
  data.me?.password;
  const file = await client.upload({ filePath: 'wxfile://tmp.png', purpose: 'photo', onProgress: (p) => p.progress });
  const stop = client.subscribe(operations.HomeScreen, {}, { next: (r) => r.data?.me?.name });
  stop();
  try {
    await client.requestSubscribeMessage(['work_order_status']);
  } catch (e) {
    if (e instanceof GraphQLRequestError) return e.code + e.errors.length;
  }
  return (worker?.name ?? '') + state + file.id;
}

export { home };
