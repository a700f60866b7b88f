import { platformRoute, tenantRoute } from '../http/route.ts';
import { renderPage } from './render.ts';

export const webRoutes = [
  platformRoute({
    method: 'get',
    path: '/',
    summary: 'The platform home page',
    tags: ['pages'],
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
    handler: async () => ({ html: renderPage('platform-home', { title: 'Edify' }) }),
  }),
  tenantRoute({
    method: 'get',
    path: '/',
    summary: 'A school’s home page',
    tags: ['pages'],
    access: 'public',
    responses: { 200: { description: 'HTML', contentType: 'text/html' } },
    handler: async ({ scope }) => ({
      html: renderPage('school-home', { title: scope.tenant.name, school: { name: scope.tenant.name } }),
    }),
  }),
];
