import re

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from dreamapi.errors import NotFound
from dreamapi.openapi import END_USER_REF_PATTERN, KEY_HEADERS, errors

from . import services
from .api_base import ProjectAPIView
from .models import EndUser, end_user_lookup
from .serializers import (
    CustomerCreateSerializer,
    CustomerDeletedSerializer,
    CustomerEnvelopeSerializer,
    CustomerListQuerySerializer,
    CustomerPageSerializer,
    CustomerUpdateSerializer,
)

CUSTOMER_ID = OpenApiParameter(
    "customer_id", {"type": "string", "pattern": END_USER_REF_PATTERN, "maxLength": 128}, OpenApiParameter.PATH,
    description="Our id (usr_…) or your externalId. A well-formed id of no end user of this project and mode is a "
                "404 `customer_not_found`.",
)
_CUSTOMER_ID_RE = re.compile(END_USER_REF_PATTERN)


class CustomerAPIView(ProjectAPIView):
    """Renders customers with the project's publishable key from the key context (no extra query)."""

    def serializer_context(self) -> dict:
        return {"publishable_key": self.key.publishable_key}

    def envelope(self, end_user: EndUser) -> dict:
        return CustomerEnvelopeSerializer({"success": True, "customer": end_user},
                                          context=self.serializer_context()).data


class CustomerListCreateApi(CustomerAPIView):
    @extend_schema(operation_id="customers_list", summary="List or search end users",
                   description="Newest first. `search` matches part of the e-mail address, ignoring case.",
                   parameters=[CustomerListQuerySerializer, *KEY_HEADERS],
                   responses={200: CustomerPageSerializer, **errors(400, 401, 403)})
    def get(self, request: Request) -> Response:
        query = CustomerListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        page, limit, search = query.validated_data["page"], query.validated_data["limit"], query.validated_data["search"]
        end_users = self.end_users().select_related("tier")
        if search:
            end_users = end_users.filter(email__icontains=search.strip())
        total = end_users.count()
        offset = (page - 1) * limit
        rows = list(end_users[offset : offset + limit])
        page_data = {"customers": rows,
                     "pagination": {"page": page, "limit": limit, "total": total, "hasMore": offset + len(rows) < total}}
        return Response(CustomerPageSerializer(page_data, context=self.serializer_context()).data)

    @extend_schema(operation_id="customers_create", summary="Create an end user", parameters=KEY_HEADERS,
                   description="`plan` must be a tier id of this project and mode (the default tier if left out). "
                               "A password, when given, must pass the password rules (400 naming `password`). "
                               "An e-mail or externalId already used in this project and mode is a 409.",
                   request=CustomerCreateSerializer,
                   responses={201: CustomerEnvelopeSerializer, **errors(400, 401, 403, 409)})
    def post(self, request: Request) -> Response:
        body = CustomerCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        end_user = services.end_user_create(
            project_id=self.key.project_id,
            mode=self.mode,
            email=data["email"],
            password=data.get("password") or None,
            first_name=data["firstName"],
            last_name=data["lastName"],
            plan=data.get("plan"),
            metadata=data["metadata"],
            external_id=data.get("externalId"),
        )
        return Response(self.envelope(end_user), status=201)


class CustomerDetailApi(CustomerAPIView):
    def get_end_user(self, customer_id: str) -> EndUser:
        end_user = None
        if _CUSTOMER_ID_RE.match(customer_id):
            end_user = self.end_users().select_related("tier").filter(**end_user_lookup(customer_id)).first()
        if end_user is None:
            raise NotFound(f"No customer '{customer_id[:128]}' in this project and mode.", code="customer_not_found")
        return end_user

    @extend_schema(operation_id="customers_retrieve", summary="Get an end user", parameters=[CUSTOMER_ID, *KEY_HEADERS],
                   responses={200: CustomerEnvelopeSerializer, **errors(400, 401, 403, 404)})
    def get(self, request: Request, customer_id: str) -> Response:
        return Response(self.envelope(self.get_end_user(customer_id)))

    @extend_schema(operation_id="customers_update", summary="Change an end user's plan, name or metadata",
                   description="Send at least one field; any other field (e-mail, externalId…) is a 400 naming it.",
                   parameters=[CUSTOMER_ID, *KEY_HEADERS], request=CustomerUpdateSerializer,
                   responses={200: CustomerEnvelopeSerializer, **errors(400, 401, 403, 404)})
    def patch(self, request: Request, customer_id: str) -> Response:
        end_user = self.get_end_user(customer_id)
        body = CustomerUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        end_user = services.end_user_update(
            end_user=end_user,
            first_name=data.get("firstName"),
            last_name=data.get("lastName"),
            plan=data.get("plan"),
            metadata=data.get("metadata"),
            actor=self.actor,
        )
        return Response(self.envelope(end_user))

    @extend_schema(operation_id="customers_delete", summary="Delete an end user",
                   parameters=[CUSTOMER_ID, *KEY_HEADERS],
                   responses={200: CustomerDeletedSerializer, **errors(400, 401, 403, 404)})
    def delete(self, request: Request, customer_id: str) -> Response:
        end_user = self.get_end_user(customer_id)
        services.end_user_delete(end_user=end_user, actor=self.actor)
        deleted = {"success": True, "message": "Customer deleted.", "deleted": end_user}
        return Response(CustomerDeletedSerializer(deleted).data)
