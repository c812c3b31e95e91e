/** Staff covering several communities choose one with X-Community-Id. */
'use strict';

const test = require('node:test');
const assert = require('node:assert/strict');
const { staffClient, relaunch, WORLD } = require('../support/world');

const GRIDS = '{ grids(first: 50) { edges { node { id communityId } } } }';

test('a region admin sees every community, or the one chosen with setCommunity', async () => {
  const staff = await staffClient(WORLD.regionAdmin);
  const all = await staff.client.query(GRIDS);
  const communities = new Set(all.grids.edges.map((e) => e.node.communityId));
  assert.ok(communities.size >= 2);
  assert.equal(staff.shim.requests.at(-1).header['X-Community-Id'], undefined);

  const target = WORLD.communities[1];
  staff.client.setCommunity(target.id);
  const one = await staff.client.query(GRIDS);
  assert.ok(one.grids.edges.length > 0);
  assert.ok(one.grids.edges.every((e) => e.node.communityId === target.id));
  assert.equal(staff.shim.requests.at(-1).header['X-Community-Id'], target.id);

  // The choice survives a relaunch; a per-call communityId overrides it.
  const later = relaunch(staff);
  assert.equal(later.client.communityId, target.id);
  const other = await later.client.query(GRIDS, {}, { communityId: WORLD.communities[0].id });
  assert.ok(other.grids.edges.every((e) => e.node.communityId === WORLD.communities[0].id));

  await later.client.logout();
  assert.equal(relaunch(staff).client.communityId, null, 'logout forgets the community');
});

test('a community outside the staff member\'s scope is FORBIDDEN', async () => {
  const staff = await staffClient(WORLD.communities[0].admin);
  staff.client.setCommunity(WORLD.communities[1].id);
  await assert.rejects(staff.client.query(GRIDS), (e) => e.code === 'FORBIDDEN');
  staff.client.setCommunity(null);
  const own = await staff.client.query(GRIDS);
  assert.ok(own.grids.edges.every((e) => e.node.communityId === WORLD.communities[0].id));
});
